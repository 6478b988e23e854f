#include "registry/schema_codec.hpp"

namespace kpipe::registry {

Result<std::unique_ptr<Codec>> make_protobuf_codec(const Schema& s, Client* client) {
    (void)client;
    return fail(Exit::data, "schema id {}: Protobuf schemas are not supported yet", s.id);
}

}  // namespace kpipe::registry
