// Avro schema references (named types defined under other subjects, as Confluent's
// serializers register them). libavro reads one self-contained schema, so each
// referenced type's definition is put in place of its first use, after the references
// of its own.
#pragma once
#include <string>

#include "error.hpp"
#include "registry/client.hpp"

namespace kpipe::registry {

// `s`'s text with its references defined in place; `s.text` itself when it has none.
// A reference the registry cannot give, or that is not Avro, is an error.
Result<std::string> inline_avro_references(const Schema& s, Client* client);

}  // namespace kpipe::registry
