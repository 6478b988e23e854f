// A step that shows Schema Registry records as JSON (consume, tail, replay): a key or
// value in the wire format is decoded with its schema (fetched once per id) and tagged
// with key_schema/value_schema, which the envelope writes out. What cannot be decoded
// is kept as it is: a value not in the wire format (counted, said once), an unknown
// schema id or a payload the schema cannot read (shown as base64, with a warning naming
// the record; an error in strict mode). A registry that goes away stops the run (Exit::connect).
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "pipeline.hpp"
#include "registry/client.hpp"
#include "registry/schema_codec.hpp"

namespace kpipe::registry {

struct DecodeOptions {
    bool strict = false;  // an undecodable record is an error (bad input) instead of a warning
    CodecOptions codec;
    std::function<void(const std::string&)> warn;  // one line for stderr
};

// The codecs of schema ids, each fetched once (shared by decoding and encoding).
class Codecs {
public:
    Codecs(Client& client, CodecOptions o) : client_(client), options_(o) {}
    struct Entry {
        std::unique_ptr<Codec> codec;
        SchemaTag tag;                 // with the first subject
        std::vector<std::string> subjects;
        std::optional<Error> error;  // why there is no codec
        // A schema under several subjects: the tag naming TOPIC-key or TOPIC-value when
        // that is one of them (TopicNameStrategy), else `tag`; with the Protobuf message.
        const SchemaTag& tag_for(std::string_view topic, std::string_view which, std::string_view message);

    private:
        std::map<std::string, SchemaTag, std::less<>> by_subject_;
    };
    // Exit::connect errors (the registry went away) are returned, not kept.
    Result<Entry*> get(int32_t id);
    Client& client() { return client_; }

private:
    Client& client_;
    CodecOptions options_;
    std::map<int32_t, Entry> entries_;
};

class DecodeSchemas : public Step {
public:
    DecodeSchemas(Client& client, DecodeOptions o, const Places& places)
        : codecs_(client, o.codec), opts_(std::move(o)), places_(places) {}
    Result<bool> apply(Item& item) override;
    // Values not in the wire format, and records kept undecoded.
    uint64_t unframed() const { return unframed_; }
    uint64_t undecoded() const { return undecoded_; }

private:
    Result<void> decode(Item& item, std::optional<std::string_view>& bytes, const SchemaTag*& tag, bool& binary,
                        std::string& buf, std::string_view which);

    Codecs codecs_;
    DecodeOptions opts_;
    const Places& places_;
    std::string key_buf_, value_buf_, message_;
    uint64_t unframed_ = 0, undecoded_ = 0;
};

}  // namespace kpipe::registry
