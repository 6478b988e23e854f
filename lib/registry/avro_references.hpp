// Avro schema references (named types defined under other subjects, as Confluent's
// serializers register them). libavro reads one self-contained schema, so each
// referenced type's definition is put in place of its first use, after the references
// of its own.
#pragma once
#include <functional>
#include <string>

#include "error.hpp"
#include "registry/client.hpp"

namespace kpipe::registry {

// A subject's schema at a version ("latest" or N), as Client::version gives it.
using SchemaLookup = std::function<Result<Schema>(const std::string& subject, const std::string& version)>;

// `s`'s text with its references defined in place; `s.text` itself when it has none.
// A reference `lookup` cannot give, or that is not Avro, is an error.
Result<std::string> inline_avro_references(const Schema& s, const SchemaLookup& lookup);

}  // namespace kpipe::registry
