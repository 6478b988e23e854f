#include "registry/wire_format.hpp"

namespace kpipe::registry {

std::optional<Framed> unframe(std::string_view bytes) {
    if (bytes.size() < 5 || bytes[0] != '\0') return std::nullopt;
    uint32_t id = 0;
    for (size_t i = 1; i < 5; ++i) id = id << 8 | static_cast<unsigned char>(bytes[i]);
    if (id > INT32_MAX) return std::nullopt;
    return Framed{static_cast<int32_t>(id), bytes.substr(5)};
}

void append_frame(std::string& out, int32_t id) {
    auto u = static_cast<uint32_t>(id);
    out += '\0';
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((u >> shift) & 0xff);
}

namespace {

std::optional<int64_t> take_zigzag(std::string_view& in) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (in.empty()) return std::nullopt;
        auto b = static_cast<unsigned char>(in.front());
        in.remove_prefix(1);
        v |= static_cast<uint64_t>(b & 0x7f) << shift;
        if (!(b & 0x80)) return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
    }
    return std::nullopt;
}

void append_zigzag(std::string& out, int64_t n) {
    auto v = (static_cast<uint64_t>(n) << 1) ^ static_cast<uint64_t>(n >> 63);
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}

}  // namespace

std::optional<std::vector<int>> take_message_indexes(std::string_view& payload) {
    auto count = take_zigzag(payload);
    if (!count || *count < 0 || *count > 100) return std::nullopt;
    if (*count == 0) return std::vector<int>{0};
    std::vector<int> out;
    for (int64_t i = 0; i < *count; ++i) {
        auto n = take_zigzag(payload);
        if (!n || *n < 0 || *n > INT32_MAX) return std::nullopt;
        out.push_back(static_cast<int>(*n));
    }
    return out;
}

void append_message_indexes(std::string& out, const std::vector<int>& indexes) {
    if (indexes.empty() || (indexes.size() == 1 && indexes[0] == 0)) {
        out += '\0';
        return;
    }
    append_zigzag(out, static_cast<int64_t>(indexes.size()));
    for (int i : indexes) append_zigzag(out, i);
}

}  // namespace kpipe::registry
