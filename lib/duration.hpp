// Durations as users type them: 500ms, 10s, 2m, 1h30m, 1d; a bare number is seconds.
#pragma once
#include <chrono>
#include <string>
#include <string_view>

#include "error.hpp"

namespace kpipe {

using Millis = std::chrono::milliseconds;

Result<Millis> parse_duration(std::string_view text);
std::string format_duration(Millis d);  // compact, e.g. "1h2m3s", "250ms"

}  // namespace kpipe
