#include <doctest/doctest.h>

#include "lag.hpp"

using namespace kpipe::lag;

namespace {

PartitionLag part(std::string topic, int32_t p, std::optional<int64_t> committed, int64_t end) {
    return {std::move(topic), p, committed, end, std::nullopt, std::nullopt};
}

Group group(size_t members, std::vector<PartitionLag> parts) { return {"g", "Stable", members, std::move(parts)}; }

// A window of samples of one partition "t"[0] at 1 s intervals: (committed, end) pairs.
std::vector<Sample> window(size_t members, std::vector<std::pair<int64_t, int64_t>> points) {
    std::vector<Sample> w;
    int64_t at = 1'000'000;
    for (auto [c, e] : points) {
        w.push_back({at, group(members, {part("t", 0, c, e)})});
        at += 1000;
    }
    return w;
}

}  // namespace

TEST_CASE("lag of a partition") {
    CHECK(part("t", 0, 10, 15).lag() == 5);
    CHECK(part("t", 0, 15, 15).lag() == 0);
    CHECK(part("t", 0, 20, 15).lag() == 0);  // committed past the end (topic re-created): no negative lag
    CHECK_FALSE(part("t", 0, std::nullopt, 15).lag().has_value());
}

TEST_CASE("assemble shows every partition of the group's topics, uncommitted ones as none") {
    GroupInput in{"g", "Stable", 1, {{{"a", 0}, 5}, {{"gone", 0}, 1}}, {{{"b", 1}, Owner{"c1", "/10.0.0.1"}}}};
    std::map<std::string, int32_t> counts{{"a", 2}, {"b", 2}, {"other", 4}};
    auto topics = topics_of(in, counts, std::nullopt);
    CHECK(topics == std::vector<std::string>{"a", "b"});  // "gone" no longer exists, "other" is not the group's
    CHECK(topics_of(in, counts, std::string("b")) == std::vector<std::string>{"b"});
    CHECK(topics_of(in, counts, std::string("other")).empty());

    std::map<Key, int64_t> ends{{{"a", 0}, 9}, {{"a", 1}, 3}, {{"b", 0}, 0}, {{"b", 1}, 7}};
    Group g = assemble(in, topics, counts, ends);
    REQUIRE(g.partitions.size() == 4);
    CHECK(g.partitions[0].topic == "a");
    CHECK(g.partitions[0].lag() == 4);
    CHECK_FALSE(g.partitions[1].committed.has_value());
    CHECK(g.partitions[1].end == 3);
    CHECK(g.partitions[3].owner == Owner{"c1", "/10.0.0.1"});
    CHECK_FALSE(g.partitions[2].owner.has_value());

    Totals all = totals(g);
    CHECK(all.lag == 4);
    CHECK(all.partitions == 4);
    CHECK(all.uncommitted == 3);
    CHECK_FALSE(all.time_lag_ms.has_value());
    CHECK(totals(g, std::string("b")).lag == 0);
    CHECK(totals(g, std::string("b")).uncommitted == 2);
    CHECK(topic_names(g) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("time lag") {
    CHECK(time_lag_ms(0, std::nullopt, false, 5000) == 0);          // caught up: nothing fetched
    CHECK(time_lag_ms(3, 2000, false, 5000) == 3000);               // now minus the record's time
    CHECK(time_lag_ms(3, 9000, false, 5000) == 0);                  // clock skew never goes negative
    CHECK(time_lag_ms(3, std::nullopt, true, 5000) == 0);           // only markers or aborted records left
    CHECK_FALSE(time_lag_ms(3, std::nullopt, false, 5000));         // not read within the timeout
    CHECK_FALSE(time_lag_ms(std::nullopt, 2000, false, 5000));      // no committed offset
    Group g = group(1, {part("t", 0, 1, 5), part("t", 1, 1, 9), part("u", 0, 1, 1)});
    g.partitions[0].time_lag_ms = 700;
    g.partitions[1].time_lag_ms = 1200;
    g.partitions[2].time_lag_ms = 0;
    CHECK(totals(g).time_lag_ms == 1200);
    CHECK(totals(g, std::string("u")).time_lag_ms == 0);
}

TEST_CASE("rates and time to catch up") {
    Group a = group(1, {part("t", 0, 100, 1000), part("t", 1, std::nullopt, 50), part("u", 0, 10, 10)});
    Group b = group(1, {part("t", 0, 400, 1100), part("t", 1, std::nullopt, 70), part("u", 0, 10, 10)});
    Rates r = rates(a, 10'000, b, 12'000);
    CHECK(r.consume_per_s == doctest::Approx(150.0));  // 300 records in 2 s
    CHECK(r.produce_per_s == doctest::Approx(60.0));   // 100 + 20 records in 2 s
    REQUIRE(r.catch_up_ms.has_value());
    CHECK(*r.catch_up_ms == 7778);  // lag 700 at a net 90/s

    Rates u = rates(a, 10'000, b, 12'000, std::string("u"));
    CHECK(u.consume_per_s == doctest::Approx(0.0));
    CHECK(u.catch_up_ms == 0);

    Rates same_time = rates(a, 10'000, b, 10'000);
    CHECK_FALSE(same_time.consume_per_s.has_value());
    CHECK_FALSE(same_time.produce_per_s.has_value());

    // Falling behind: no estimate.
    CHECK_FALSE(catch_up_ms(100, 10, 20).has_value());
    CHECK_FALSE(catch_up_ms(100, 10, 10).has_value());
    CHECK(catch_up_ms(0, 0, 5) == 0);
    CHECK(catch_up_ms(100, 30, 10) == 5000);

    // Offsets going backwards count as no progress.
    Group reset = group(1, {part("t", 0, 0, 10)});
    Rates back = rates(group(1, {part("t", 0, 50, 100)}), 0, reset, 1000);
    CHECK(back.consume_per_s == doctest::Approx(0.0));
    CHECK(back.produce_per_s == doctest::Approx(0.0));
}

TEST_CASE("status: OK when caught up, or caught up somewhere in the window") {
    CHECK(evaluate(window(1, {{10, 10}})).status == Status::ok);
    CHECK(evaluate(window(0, {{10, 10}})).reason == "caught up");
    auto v = evaluate(window(1, {{10, 10}, {10, 15}, {10, 20}}));
    CHECK(v.status == Status::ok);
    CHECK(v.reason == "caught up within the window");
    CHECK(evaluate({{0, group(0, {part("t", 0, std::nullopt, 5)})}}).reason == "no committed offsets");
}

TEST_CASE("status: STOP without members and commits") {
    auto one = evaluate(window(0, {{5, 10}}));
    CHECK(one.status == Status::stop);
    CHECK(one.reason == "no members and no commits; lag 5 on 1 partition");
    auto many = evaluate(window(0, {{5, 10}, {5, 12}, {5, 12}}));
    CHECK(many.status == Status::stop);
    CHECK(many.reason == "no members and no commits in 2s; lag 7 on 1 partition");
    // Someone commits without being a member (assign + commit): not stopped.
    CHECK(evaluate(window(0, {{5, 20}, {8, 20}, {11, 20}})).status == Status::ok);
}

TEST_CASE("status: STALL when members do not move the committed offset") {
    auto v = evaluate(window(2, {{5, 10}, {5, 10}, {5, 11}}));
    CHECK(v.status == Status::stall);
    CHECK(v.reason == "committed offset not moving for 2s on 1 partition with lag (e.g. t[0] at 5, lag 6)");
    // Not before the window is full.
    auto early = evaluate(window(2, {{5, 10}, {5, 10}, {5, 11}}), 4);
    CHECK(early.status == Status::ok);
    CHECK(early.reason == "lag 6; trend after 4 samples (3 so far)");
    CHECK(evaluate(window(2, {{5, 10}, {5, 10}, {5, 11}, {5, 11}}), 4).status == Status::stall);
    // One sample cannot show a stall.
    auto one = evaluate(window(2, {{5, 10}}));
    CHECK(one.status == Status::ok);
    CHECK(one.reason == "lag 5; one sample, so no trend yet");
}

TEST_CASE("status: WARN when lag rises across the window while committing") {
    auto v = evaluate(window(1, {{5, 10}, {7, 14}, {9, 16}, {10, 20}}));
    CHECK(v.status == Status::warn);
    CHECK(v.reason == "lag rising over 3s on 1 partition (e.g. t[0] 5 -> 10)");
    // Lag fell in one interval: not rising across the window.
    auto falling = evaluate(window(1, {{5, 10}, {9, 12}, {10, 20}}));
    CHECK(falling.status == Status::ok);
    CHECK(falling.reason == "lag 10, not rising over 2s");
    // Flat lag while committing: fine.
    CHECK(evaluate(window(1, {{5, 10}, {6, 11}, {7, 12}})).status == Status::ok);
}

TEST_CASE("status: worst partition decides") {
    std::vector<Sample> w;
    w.push_back({0, group(1, {part("a", 0, 0, 100), part("b", 0, 0, 10)})});
    w.push_back({1000, group(1, {part("a", 0, 50, 200), part("b", 0, 0, 10)})});
    CHECK(evaluate(w).status == Status::stall);  // b[0] is stuck even though a[0] moves
    CHECK(std::string(status_name(Status::stall)) == "STALL");
}

TEST_CASE("thresholds") {
    Group g{"pay", "Stable", 1, {part("t", 0, 0, 100), part("t", 1, 95, 100), part("t", 2, std::nullopt, 500)}};
    g.partitions[0].time_lag_ms = 400'000;
    g.partitions[1].time_lag_ms = 1'000;
    std::vector<Group> gs{g};
    CHECK(offenders(gs, {}).empty());
    CHECK(offenders(gs, {100, std::nullopt}).empty());  // exactly at the threshold is fine
    auto lag = offenders(gs, {99, std::nullopt});
    REQUIRE(lag.size() == 1);
    CHECK(lag[0].where == "group 'pay' topic 't' partition 0");
    CHECK((!lag[0].time && lag[0].value == 100 && lag[0].limit == 99));
    auto time = offenders(gs, {std::nullopt, 300'000});
    REQUIRE(time.size() == 1);
    CHECK(time[0].where == "group 'pay' topic 't' partition 0");
    CHECK((time[0].time && time[0].value == 400'000 && time[0].limit == 300'000));
    CHECK(offenders(gs, {0, 0}).size() == 4);
    // Uncommitted partitions have no lag to exceed; unknown time lag is reported apart.
    g.partitions[1].time_lag_ms.reset();
    CHECK(unverified({g}, {std::nullopt, 300'000}) == std::vector<std::string>{"group 'pay' topic 't' partition 1"});
    CHECK(unverified({g}, {10, std::nullopt}).empty());
}
