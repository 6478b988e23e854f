// A schema's two directions: a payload of the wire format (after the frame) to plain
// JSON, and a JSON value back to the payload. One per schema id, made by make_codec.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "error.hpp"
#include "registry/client.hpp"

namespace kpipe::registry {

struct CodecOptions {
    bool avro_json = false;  // decode Avro to the Avro JSON encoding (unions as {"type": value})
};

class Codec {
public:
    virtual ~Codec() = default;
    // Appends the payload as one line of compact JSON (for "json": the payload's own bytes).
    // A payload the schema cannot read is an Exit::data error. Protobuf: sets `message`
    // to the full name of the payload's message type.
    virtual Result<void> decode(std::string_view payload, std::string& out, std::string& message) = 0;
    // Appends the payload for the JSON value `json`. A value that does not fit is an
    // Exit::data error naming the field: ".rating: expected int, got string". Protobuf:
    // `message` names the message type (empty: the schema's first).
    virtual Result<void> encode(std::string_view json, std::string& out, std::string_view message) = 0;
};

// A codec for `s`; `client` fetches referenced schemas (Protobuf imports, Avro named
// types of other subjects). A schema
// that cannot be read is an Exit::data error.
Result<std::unique_ptr<Codec>> make_codec(const Schema& s, Client* client, const CodecOptions& o);

// Per codec type, in their own files.
Result<std::unique_ptr<Codec>> make_avro_codec(const Schema& s, Client* client, const CodecOptions& o);
Result<std::unique_ptr<Codec>> make_protobuf_codec(const Schema& s, Client* client);
Result<std::unique_ptr<Codec>> make_json_codec(const Schema& s);

}  // namespace kpipe::registry
