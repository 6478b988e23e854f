// Durations (10s, 1h30m) and times (epoch ms, ISO-8601). A parsed time formats as
// ISO-8601 that reads back to the same instant; a parsed duration formats as a compact
// duration (for messages: tenths of seconds below a minute, whole seconds above) that
// reads back to within a second.
#include <cstdint>
#include <string>

#include "duration.hpp"
#include "fuzz.hpp"
#include "timestamp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto text = kpipe::fuzz::text(data, size);
    if (auto d = kpipe::parse_duration(text)) {
        std::string again = kpipe::format_duration(*d);
        auto back = kpipe::parse_duration(again);
        if (!back || (*back - *d).count() <= -1000 || (*back - *d).count() >= 1000)
            kpipe::fuzz::die("duration does not read back", text, again);
    }
    if (auto t = kpipe::parse_time(text)) {
        std::string iso = kpipe::format_iso_utc(*t);
        auto back = kpipe::parse_time(iso);
        if (!back || *back != *t) kpipe::fuzz::die("time does not read back as ISO-8601", text, iso);
        (void)kpipe::format_local_time(*t, true);
    }
    return 0;
}
