// Points in time as users type them: epoch ms or ISO-8601.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "error.hpp"

namespace kpipe {

// "1764000000123" (epoch ms), "2025-11-24T16:00:00Z", "2025-11-24T16:00:00.123+01:00",
// "2025-11-24 16:00:00", "2025-11-24". No zone means UTC.
Result<int64_t> parse_time(std::string_view text);

// The instants ISO-8601 with a four-digit year can write: 0000-01-01T00:00:00.000Z to
// 9999-12-31T23:59:59.999Z. parse_time rejects ISO-8601 times outside them.
inline constexpr int64_t min_iso_ms = -62'167'219'200'000;
inline constexpr int64_t max_iso_ms = 253'402'300'799'999;

// ISO-8601 in UTC with milliseconds: 2025-11-24T16:00:00.123Z. Outside min_iso_ms to
// max_iso_ms, the epoch milliseconds as decimal digits (which parse_time reads back).
std::string format_iso_utc(int64_t epoch_ms);
// Local time for people: 16:00:00.123 (date added when not today is the caller's business).
std::string format_local_time(int64_t epoch_ms, bool with_date);

int64_t now_ms();

}  // namespace kpipe
