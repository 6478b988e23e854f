#include <doctest/doctest.h>

#include <limits>

#include "duration.hpp"
#include "timestamp.hpp"

using namespace kpipe;

TEST_CASE("parse_duration") {
    CHECK(parse_duration("500ms")->count() == 500);
    CHECK(parse_duration("10s")->count() == 10'000);
    CHECK(parse_duration("10")->count() == 10'000);
    CHECK(parse_duration("2m")->count() == 120'000);
    CHECK(parse_duration("1h30m")->count() == 5'400'000);
    CHECK(parse_duration("1.5s")->count() == 1'500);
    CHECK(parse_duration("1d")->count() == 86'400'000);
    for (const char* bad : {"", "s", "10x", "-1s", "1h 2m", "abc", "1m2", "nan", "nans", "inf", "infs", "1e400s"}) {
        CAPTURE(bad);
        auto r = parse_duration(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Exit::usage);
    }
}

TEST_CASE("format_duration") {
    CHECK(format_duration(Millis(250)) == "250ms");
    CHECK(format_duration(Millis(3000)) == "3s");
    CHECK(format_duration(Millis(1500)) == "1.5s");
    CHECK(format_duration(Millis(3'723'000)) == "1h2m3s");
    CHECK(format_duration(Millis(90'061'000)) == "1d1h1m1s");
    CHECK(format_duration(Millis(86'400'000)) == "1d");
    CHECK(format_duration(Millis(-1500)) == "-1.5s");
    CHECK(format_duration(Millis(-120'000)) == "-2m");
    CHECK(format_duration(Millis(std::numeric_limits<long long>::min())) == "-106751991167d7h12m55s");
}

TEST_CASE("parse_time") {
    CHECK(*parse_time("1764000000123") == 1764000000123);
    CHECK(*parse_time("2025-11-24T16:00:00.123Z") == 1764000000123);
    CHECK(*parse_time("2025-11-24T17:00:00.123+01:00") == 1764000000123);
    CHECK(*parse_time("2025-11-24T16:00:00") == 1764000000000);
    CHECK(*parse_time("2025-11-24 16:00") == 1764000000000);
    CHECK(*parse_time("2025-11-24") == 1763942400000);
    for (const char* bad : {"", "2025-13-01", "2025-02-30", "2025-11-24T25:00", "yesterday", "2025-11-24Tx"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_time(bad).has_value());
    }
    CHECK(format_iso_utc(1764000000123) == "2025-11-24T16:00:00.123Z");
}

// Found by fuzzing (tests/fuzz/corpus/time): epoch ms past year 9999 formatted as a
// negative year, which no reader takes back.
TEST_CASE("format_iso_utc writes epoch ms past year 9999 as digits, which parse_time reads back") {
    CHECK(format_iso_utc(0) == "1970-01-01T00:00:00.000Z");
    CHECK(format_iso_utc(-1000) == "1969-12-31T23:59:59.000Z");
    CHECK(*parse_time("1012-11-24") == -30203280000000);
    CHECK(format_iso_utc(-30203280000000) == "1012-11-24T00:00:00.000Z");
    CHECK(format_iso_utc(min_iso_ms) == "0000-01-01T00:00:00.000Z");
    CHECK(*parse_time("0000-01-01T00:00:00Z") == min_iso_ms);
    CHECK_FALSE(parse_time("0000-01-01T00:00:00+01:00").has_value());
    CHECK_FALSE(parse_time("9999-12-31T23:59:59-01:00").has_value());
    CHECK(format_iso_utc(max_iso_ms) == "9999-12-31T23:59:59.999Z");
    CHECK(format_iso_utc(max_iso_ms + 1) == "253402300800000");
    CHECK(format_iso_utc(1764000017640000246) == "1764000017640000246");
    CHECK(*parse_time(format_iso_utc(1764000017640000246)) == 1764000017640000246);
}
