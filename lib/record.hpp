// A Kafka record as kpipe sees it; no librdkafka type leaks out of lib/kafka.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kpipe {

struct TopicPartition {
    std::string topic;
    int32_t partition = 0;
    auto operator<=>(const TopicPartition&) const = default;
};

enum class TimestampType { none, create, log_append };

// What a payload in the Schema Registry wire format was encoded with: "avro",
// "protobuf" or "json" (JSON Schema), the subject when known, the registry's schema id,
// and for Protobuf the message's full name.
struct SchemaTag {
    std::string type;
    std::string subject;
    int32_t id = -1;
    std::string message;
    bool operator==(const SchemaTag&) const = default;
};

struct Header {
    std::string name;
    std::optional<std::string> value;  // nullopt: a null header value
};

struct Record {
    std::string topic;
    int32_t partition = -1;  // -1: unspecified
    int64_t offset = -1;
    int64_t timestamp = -1;  // epoch ms; -1: unspecified
    TimestampType timestamp_type = TimestampType::none;
    std::optional<std::string> key;    // nullopt: null key
    std::optional<std::string> value;  // nullopt: null value (tombstone)
    std::vector<Header> headers;
    // Set when the key or value is a registry record shown decoded (as JSON).
    std::optional<SchemaTag> key_schema, value_schema;
};

// The same, borrowing its bytes (for writing without copies).
struct HeaderView {
    std::string_view name;
    std::optional<std::string_view> value;
};

struct RecordView {
    std::string_view topic;
    int32_t partition = -1;
    int64_t offset = -1;
    int64_t timestamp = -1;
    TimestampType timestamp_type = TimestampType::none;
    std::optional<std::string_view> key;
    std::optional<std::string_view> value;
    std::vector<HeaderView> headers;
    const SchemaTag* key_schema = nullptr;  // owned by whoever decoded the payload
    const SchemaTag* value_schema = nullptr;
    // Shown as base64 whatever the bytes (a registry record that could not be decoded).
    bool key_binary = false, value_binary = false;
};

// A view of `r`, valid while `r` lives unchanged.
inline RecordView view_of(const Record& r) {
    RecordView v{r.topic, r.partition, r.offset, r.timestamp, r.timestamp_type, r.key, r.value, {}, nullptr, nullptr};
    v.headers.reserve(r.headers.size());
    for (const auto& h : r.headers) v.headers.push_back({h.name, h.value});
    if (r.key_schema) v.key_schema = &*r.key_schema;
    if (r.value_schema) v.value_schema = &*r.value_schema;
    return v;
}

}  // namespace kpipe
