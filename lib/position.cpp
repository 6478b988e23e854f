#include "position.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace kpipe {

uint32_t Places::add(std::string name) {
    auto it = std::find(names_.begin(), names_.end(), name);
    if (it != names_.end()) return static_cast<uint32_t>(it - names_.begin());
    names_.push_back(std::move(name));
    return static_cast<uint32_t>(names_.size() - 1);
}

std::string Places::format(const Position& p) const {
    if (p.is_line()) return fmt::format("{}:{}", name(p.place), p.at);
    return fmt::format("{} [{}] at offset {}", name(p.place), p.partition, p.at);
}

std::string Places::format_range(const Position& first, int64_t last) const {
    if (last == first.at) return format(first);
    if (first.is_line()) return fmt::format("{}:{}-{}", name(first.place), first.at, last);
    return fmt::format("{} [{}] offsets {}-{}", name(first.place), first.partition, first.at, last);
}

}  // namespace kpipe
