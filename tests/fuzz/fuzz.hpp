// Shared by the libFuzzer targets: input as text, and a loud failure for a broken
// property (libFuzzer then saves the input as a crash).
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace kpipe::fuzz {

inline std::string_view text(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Splits the input at its first '\n' (for targets that take two strings).
inline std::pair<std::string_view, std::string_view> split(std::string_view s) {
    auto nl = s.find('\n');
    if (nl == std::string_view::npos) return {s, {}};
    return {s.substr(0, nl), s.substr(nl + 1)};
}

[[noreturn]] inline void die(const char* what, std::string_view detail = {}, std::string_view more = {}) {
    std::fprintf(stderr, "fuzz property violated: %s\n  %.*s\n  %.*s\n", what, static_cast<int>(detail.size()),
                 detail.data(), static_cast<int>(more.size()), more.data());
    std::abort();
}

}  // namespace kpipe::fuzz
