// The Confluent wire format of Schema Registry records: a zero byte, the schema id as 4
// bytes big-endian, then the payload. Protobuf payloads start with the message indexes
// (which message of the schema file): a zigzag varint count, then that many zigzag
// varint indexes; the single 0 (the file's first message) is written as one 0 byte.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kpipe::registry {

struct Framed {
    int32_t id = 0;
    std::string_view payload;
};

// The id and payload of `bytes`, or nullopt when they are not in the wire format.
std::optional<Framed> unframe(std::string_view bytes);
// Appends the magic byte and the id.
void append_frame(std::string& out, int32_t id);

// Reads the message indexes from the front of `payload` (removing them); nullopt when
// they are malformed.
std::optional<std::vector<int>> take_message_indexes(std::string_view& payload);
void append_message_indexes(std::string& out, const std::vector<int>& indexes);

}  // namespace kpipe::registry
