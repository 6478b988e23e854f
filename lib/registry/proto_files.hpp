// A .proto file named on the command line, with the files it imports: each imported file
// (found beside it or in a directory above it, where protoc's -I would point) is looked
// up, or registered, under its import name as the subject, as Confluent's serializers
// register references, and becomes a reference of the schema.
#pragma once
#include <string>
#include <vector>

#include "error.hpp"
#include "registry/client.hpp"

namespace kpipe::registry {

// The schema of the .proto file at `path` (whose text is `text`) with its references.
// An import with no file is a usage error naming both; one not registered (without
// `register_it`) is Exit::not_found naming its subject.
Result<Schema> proto_file_schema(Client& client, const std::string& path, std::string text, bool register_it);

// The files a .proto text imports, Google's well-known types left out.
Result<std::vector<std::string>> proto_imports(const std::string& text, const std::string& name);

}  // namespace kpipe::registry
