// A step that encodes JSON records into the Schema Registry wire format (produce,
// replay): each value (key) with a fixed schema id, or with the id of the record's own
// value_schema (key_schema) tag, as `kpipe consume` writes it. A record that does not
// fit its schema is bad input naming the field: ".rating: expected int, got string".
#pragma once
#include <optional>
#include <string>

#include "pipeline.hpp"
#include "registry/decode_step.hpp"

namespace kpipe::registry {

struct EncodeOptions {
    std::optional<int32_t> key_id, value_id;  // every record's; otherwise its tag's, if any
};

class EncodeSchemas : public Step {
public:
    // Without a client, a record tagged with a schema is an error: it cannot be encoded.
    EncodeSchemas(Client* client, EncodeOptions o);
    Result<bool> apply(Item& item) override;

private:
    Result<void> encode(std::optional<std::string_view>& bytes, const SchemaTag*& tag, std::optional<int32_t> fixed,
                        std::string& buf, std::string_view which);

    std::optional<Codecs> codecs_;
    EncodeOptions opts_;
    std::string key_buf_, value_buf_, quoted_;
};

// The schema id that `spec` names for encoding the `which` ("key" or "value") of
// `topic`: a number is an id; an existing file is a schema of `type` ("avro",
// "protobuf", "json"; empty: by the file's extension, else avro), looked up (or, with
// `register_it`, registered) under the subject TOPIC-WHICH; anything else is a subject,
// whose latest version is taken.
Result<int32_t> resolve_schema(Client& client, const std::string& spec, const std::string& type,
                               const std::string& topic, std::string_view which, bool register_it);

}  // namespace kpipe::registry
