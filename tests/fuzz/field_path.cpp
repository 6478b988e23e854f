// Field paths (produce --key/--timestamp): the first line is the path, the rest a JSON
// document to look it up in.
#include <cstdint>
#include <string>

#include <simdjson.h>

#include "field_path.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static simdjson::dom::parser parser;
    auto [path_text, json] = kpipe::fuzz::split(kpipe::fuzz::text(data, size));
    auto path = kpipe::FieldPath::parse(path_text);
    if (!path) return 0;
    simdjson::padded_string padded(json);
    simdjson::dom::element root;
    if (parser.parse(padded).get(root)) return 0;
    std::string scratch;
    (void)path->find(root);
    (void)path->text(root, scratch);
    return 0;
}
