#include "registry/schema_codec.hpp"

namespace kpipe::registry {

Result<std::unique_ptr<Codec>> make_codec(const Schema& s, Client* client, const CodecOptions& o) {
    if (s.type == "avro") return make_avro_codec(s, client, o);
    if (s.type == "protobuf") return make_protobuf_codec(s, client);
    if (s.type == "json") return make_json_codec(s);
    return fail(Exit::data, "schema id {}: unknown schema type '{}'", s.id, s.type);
}

}  // namespace kpipe::registry
