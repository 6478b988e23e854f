#include <doctest/doctest.h>

#include <limits>

#include "offsets.hpp"
#include "timestamp.hpp"

using namespace kpipe;
using K = OffsetSpec::Kind;

namespace {
constexpr int64_t now = 1'764'000'000'000;
}

TEST_CASE("parse_offset_spec: every form") {
    CHECK(*parse_offset_spec("beginning", now) == OffsetSpec{K::beginning, 0});
    CHECK(*parse_offset_spec("end", now) == OffsetSpec{K::end, 0});
    CHECK(*parse_offset_spec("stored", now) == OffsetSpec{K::stored, 0});
    CHECK(*parse_offset_spec("42", now) == OffsetSpec{K::absolute, 42});
    CHECK(*parse_offset_spec("+10", now) == OffsetSpec{K::from_start, 10});
    CHECK(*parse_offset_spec("-10", now) == OffsetSpec{K::from_end, 10});
    CHECK(*parse_offset_spec("@1764000000123", now) == OffsetSpec{K::time, 1764000000123});
    CHECK(*parse_offset_spec("@2025-11-24T16:00:00Z", now) == OffsetSpec{K::time, *parse_time("2025-11-24T16:00:00Z")});
    CHECK(*parse_offset_spec("@-1h", now) == OffsetSpec{K::time, now - 3'600'000});
    CHECK(*parse_offset_spec("@-15m", now) == OffsetSpec{K::time, now - 900'000});
}

TEST_CASE("parse_offset_spec: malformed input names the bad part") {
    struct Case {
        const char* text;
        const char* mentions;
    };
    for (auto c : {Case{"", "empty"}, Case{"begining", "begining"}, Case{"+", "'' is not a count"},
                   Case{"-x", "'x' is not a count"}, Case{"@", "is not a time"}, Case{"@yesterday", "'yesterday'"},
                   Case{"@-1y", "'1y' is not a duration"}, Case{"12abc", "12abc"}, Case{"99999999999999999999", "9999"}}) {
        CAPTURE(c.text);
        auto r = parse_offset_spec(c.text, now);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Exit::usage);
        CHECK(r.error().message.find(c.mentions) != std::string::npos);
    }
}

TEST_CASE("parse_offset_range: ranges, open ends, ISO times with colons") {
    auto r = *parse_offset_range("100:200", now);
    CHECK(r.from == OffsetSpec{K::absolute, 100});
    CHECK(r.to == OffsetSpec{K::absolute, 200});
    r = *parse_offset_range("@-2h:@-1h", now);
    CHECK(r.from == OffsetSpec{K::time, now - 7'200'000});
    CHECK(r.to == OffsetSpec{K::time, now - 3'600'000});
    r = *parse_offset_range("@2025-11-24T16:00:00Z:@2025-11-24T17:00:00.5+01:00", now);
    CHECK(r.from == OffsetSpec{K::time, *parse_time("2025-11-24T16:00:00Z")});
    CHECK(r.to == OffsetSpec{K::time, *parse_time("2025-11-24T17:00:00.5+01:00")});
    r = *parse_offset_range("@2025-11-24T16:00:00Z", now);
    CHECK(r.from == OffsetSpec{K::time, *parse_time("2025-11-24T16:00:00Z")});
    CHECK_FALSE(r.to);
    r = *parse_offset_range("-10:", now);
    CHECK(r.from == OffsetSpec{K::from_end, 10});
    CHECK_FALSE(r.to);
    r = *parse_offset_range(":+5", now);
    CHECK_FALSE(r.from);
    CHECK(r.to == OffsetSpec{K::from_start, 5});
    r = *parse_offset_range("beginning:end", now);
    CHECK(r.from == OffsetSpec{K::beginning, 0});
    CHECK(r.to == OffsetSpec{K::end, 0});
}

TEST_CASE("parse_offset_range: malformed") {
    struct Case {
        const char* text;
        const char* mentions;
    };
    for (auto c : {Case{"100:abc", "'abc'"}, Case{"abc:100", "'abc'"}, Case{":", "both ends are empty"},
                   Case{"1:stored", "'stored' cannot end"}, Case{"@2025-11-24T16:00:00Z:bogus", "'bogus'"}}) {
        CAPTURE(c.text);
        auto r = parse_offset_range(c.text, now);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Exit::usage);
        CHECK(r.error().message.find(c.mentions) != std::string::npos);
    }
}

TEST_CASE("parse_offset_plan: per partition, defaults, --until") {
    auto p = *parse_offset_plan("0=100,1=end", "", now);
    CHECK_FALSE(p.all.from);
    CHECK(p.for_partition(0).from == OffsetSpec{K::absolute, 100});
    CHECK(p.for_partition(1).from == OffsetSpec{K::end, 0});
    CHECK_FALSE(p.for_partition(2).from);

    p = *parse_offset_plan("end,0=5:10", "", now);
    CHECK(p.for_partition(3).from == OffsetSpec{K::end, 0});
    CHECK(p.for_partition(0).from == OffsetSpec{K::absolute, 5});
    CHECK(p.for_partition(0).to == OffsetSpec{K::absolute, 10});
    CHECK_FALSE(p.bounded());
    CHECK(p.bounded(std::vector<int32_t>{0}));
    CHECK_FALSE(p.bounded(std::vector<int32_t>{0, 1}));

    p = *parse_offset_plan("beginning", "@-1h", now);
    CHECK(p.all.from == OffsetSpec{K::beginning, 0});
    CHECK(p.all.to == OffsetSpec{K::time, now - 3'600'000});
    CHECK(p.bounded());

    p = *parse_offset_plan("0=100", "0=200,50", now);
    CHECK(p.for_partition(0).from == OffsetSpec{K::absolute, 100});
    CHECK(p.for_partition(0).to == OffsetSpec{K::absolute, 200});
    CHECK(p.for_partition(1).to == OffsetSpec{K::absolute, 50});

    CHECK(parse_offset_plan("stored", "", now)->any_stored());
    CHECK_FALSE(parse_offset_plan("", "", now)->any_stored());
}

TEST_CASE("parse_offset_plan: malformed") {
    struct Case {
        const char* from;
        const char* until;
        const char* mentions;
    };
    for (auto c : {Case{"x=1", "", "'x' is not a partition"}, Case{"0=1,0=2", "", "partition 0 given twice"},
                   Case{"1,2", "", "more than one default"}, Case{"0=bogus", "", "'bogus'"},
                   Case{"1:5", "7", "already has an end"}, Case{"", "stored", "only a start"},
                   Case{"", "1:2", "--until"}}) {
        CAPTURE(c.from);
        CAPTURE(c.until);
        auto r = parse_offset_plan(c.from, c.until, now);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Exit::usage);
        CHECK(r.error().message.find(c.mentions) != std::string::npos);
    }
}

TEST_CASE("parse_partition_list") {
    CHECK(*parse_partition_list("0") == std::vector<int32_t>{0});
    CHECK(*parse_partition_list("3,1,5-7,1") == std::vector<int32_t>{1, 3, 5, 6, 7});
    for (const char* bad : {"", "a", "1,", "3-1", "-1", "1-"}) {
        CAPTURE(bad);
        auto r = parse_partition_list(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Exit::usage);
    }
}

TEST_CASE("resolve_start and resolve_end against watermarks") {
    PartitionMarks m{10, 50, -1};
    CHECK(resolve_start({K::beginning, 0}, m) == 10);
    CHECK(resolve_start({K::end, 0}, m) == 50);
    CHECK_FALSE(resolve_start({K::stored, 0}, m));
    CHECK(resolve_start({K::absolute, 20}, m) == 20);
    CHECK(resolve_start({K::absolute, 5}, m) == 10);   // clamped to the log
    CHECK(resolve_start({K::absolute, 99}, m) == 50);  // clamped to the log
    CHECK(resolve_start({K::from_start, 5}, m) == 15);
    CHECK(resolve_start({K::from_end, 5}, m) == 45);
    CHECK(resolve_start({K::from_end, 500}, m) == 10);
    CHECK(resolve_start({K::time, 1}, m) == 50);  // no record at or after the time
    CHECK(resolve_start({K::time, 1}, PartitionMarks{10, 50, 33}) == 33);

    CHECK(resolve_end({K::absolute, 99}, m) == 99);  // an end may lie in the future
    CHECK(resolve_end({K::from_start, 5}, m) == 15);
    CHECK(resolve_end({K::from_end, 5}, m) == 45);
    CHECK(resolve_end({K::end, 0}, m) == 50);
    CHECK(resolve_end({K::time, 1}, PartitionMarks{10, 50, 33}) == 33);
    CHECK(resolve_end({K::time, 1}, m) == 50);
}

TEST_CASE("describe") {
    CHECK(describe({K::from_end, 3}) == "-3");
    CHECK(describe({K::time, 0}) == "@1970-01-01T00:00:00.000Z");
}

TEST_CASE("a plan is bounded when every partition read has an end") {
    auto p = *parse_offset_plan("0=2:2,1=0:0", "", now);  // every range empty
    CHECK_FALSE(p.bounded());
    CHECK(p.bounded(std::vector<int32_t>{0, 1}));
    CHECK_FALSE(p.bounded(std::vector<int32_t>{0, 1, 2}));
    CHECK_FALSE(p.bounded(std::vector<int32_t>{}));
    p = *parse_offset_plan("", "0=5,1=5", now);
    CHECK(p.bounded(std::vector<int32_t>{1, 0}));
    CHECK_FALSE(p.bounded(std::vector<int32_t>{2}));
    p = *parse_offset_plan("", "5", now);
    CHECK(p.bounded(std::vector<int32_t>{}));
}

TEST_CASE("partition lists are bounded before they are expanded") {
    CHECK(parse_partition_list("999999")->size() == 1);
    auto r = parse_partition_list("0,1-1000000");
    REQUIRE_FALSE(r);  // stop here before the next line (expanded eagerly, it would need 8 GB)
    CHECK(r.error().code == Exit::usage);
    CHECK(r.error().message.find("'1-1000000'") != std::string::npos);
    r = parse_partition_list("0-2147483647");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("'0-2147483647'") != std::string::npos);
}

TEST_CASE("+N saturates instead of overflowing") {
    const PartitionMarks m{10, 50, -1};
    constexpr int64_t max = std::numeric_limits<int64_t>::max();
    CHECK(resolve_start({K::from_start, max}, m) == 50);
    CHECK(resolve_start({K::from_start, max - 5}, m) == 50);
    CHECK(resolve_end({K::from_start, max}, m) == max);
    CHECK(resolve_end({K::from_start, 5}, m) == 15);
    CHECK(resolve_start({K::from_end, max}, m) == 10);
    CHECK(resolve_end({K::from_end, max}, m) == 10);
}

TEST_CASE("a range that ends before it starts is a usage error; an equal end is an empty range") {
    struct Case {
        const char* text;
        const char* mentions;
    };
    for (auto c : {Case{"100:50", "invalid range '100:50': it ends (50) before it starts (100)"},
                   Case{"@2025-11-24T17:00:00Z:@2025-11-24T16:00:00Z", "it ends (@2025-11-24T16:00:00.000Z) before"},
                   Case{"@-1h:@-2h", "before it starts"}, Case{"+10:+5", "it ends (+5) before it starts (+10)"},
                   Case{"-10:-20", "it ends (-20) before it starts (-10)"}}) {
        CAPTURE(c.text);
        auto r = parse_offset_range(c.text, now);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Exit::usage);
        CHECK(r.error().message.find(c.mentions) != std::string::npos);
        auto plan = parse_offset_plan(std::string("3=") + c.text, "", now);
        REQUIRE_FALSE(plan);
        CHECK(plan.error().message.starts_with("--from: invalid range"));
    }
    // Equal ends read nothing (TO is exclusive); ends of different kinds are compared later.
    for (const char* ok : {"100:100", "@-1h:@-1h", "+5:+5", "-3:-3", "100:@-1h", "@-1h:5", "+10:5", "end:beginning",
                           "-5:+1", "0:1", "-20:-10"})
        CHECK_MESSAGE(parse_offset_range(ok, now).has_value(), ok);

    auto r = parse_offset_plan("100", "50", now);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "--from '100' with --until '50': it ends (50) before it starts (100) and would read nothing");
    r = parse_offset_plan("0=100,5", "1=4", now);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("(partition 1): it ends (4) before it starts (5)") != std::string::npos);
    CHECK(parse_offset_plan("0=100,5", "0=200,50", now).has_value());
    CHECK(parse_offset_plan("100", "100", now).has_value());
}
