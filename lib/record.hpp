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
};

}  // namespace kpipe
