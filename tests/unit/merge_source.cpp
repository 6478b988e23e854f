// MergeSource over fake sources: the order it hands records out in, and what it waits for.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>

#include "fakes.hpp"
#include "merge_source.hpp"
#include "pump.hpp"

using namespace kpipe;
using namespace kpipe::fakes;

namespace {

struct Merged {
    std::vector<std::string> values;
    std::vector<Position> positions;
    Outcome outcome;
};

// Runs the merge of these sources through the pump into a fake writer.
Merged run(FakeClock& clock, std::vector<std::unique_ptr<Source>> sources, size_t max_buffered = 64 << 20,
           OnError on_error = OnError::skip) {
    MergeSource merge(std::move(sources), max_buffered);
    PumpOptions o;
    o.clock = &clock;
    o.on_error = on_error;
    struct Recording : FakeWriter {
        using FakeWriter::FakeWriter;
        std::vector<Position> positions;
        Result<State> write(const Item& item) override {
            positions.push_back(item.pos);
            return FakeWriter::write(item);
        }
    } rec(clock);
    Merged m;
    m.outcome = pump(merge, {}, rec, o);
    m.values = rec.written;
    m.positions = rec.positions;
    return m;
}

template <class... S>
std::vector<std::unique_ptr<Source>> sources(S&&... s) {
    std::vector<std::unique_ptr<Source>> out;
    (out.push_back(std::forward<S>(s)), ...);
    return out;
}

std::unique_ptr<FakeSource> source(FakeClock& clock, std::vector<Script> script) {
    return std::make_unique<FakeSource>(clock, std::move(script));
}

}  // namespace

TEST_CASE("MergeSource: records of several sources in timestamp order") {
    FakeClock clock;
    auto m = run(clock, sources(source(clock, {record("a1", 10, 0, 0), record("a2", 40, 0, 0), record("a3", 70, 0, 0)}),
                                source(clock, {record("b1", 20, 0, 1), record("b2", 30, 0, 1), record("b3", 90, 0, 1)}),
                                source(clock, {record("c1", 5, 0, 2), record("c2", 80, 0, 2)})));
    CHECK(m.values == std::vector<std::string>{"c1", "a1", "b1", "b2", "a2", "a3", "c2", "b3"});
    CHECK(m.outcome.stop == Stop::end);
}

TEST_CASE("MergeSource: records without a timestamp go first; equal times in the order of the sources") {
    FakeClock clock;
    // The first source is slow to start: its lane is seen last.
    auto m = run(clock, sources(source(clock, {pull(Pull::idle), record("a-tie", 50, 0, 0), record("a-late", 60, 0, 0)}),
                                source(clock, {record("b-none", -1, 0, 1), record("b-tie", 50, 0, 1)}),
                                source(clock, {record("c-tie", 50, 0, 2)})));
    CHECK(m.values == std::vector<std::string>{"b-none", "a-tie", "b-tie", "c-tie", "a-late"});
}

TEST_CASE("MergeSource: a lane is waited for while it has no record and is not done") {
    // A topic-like source with two partitions; partition 1's first record comes after a
    // few idle polls, and is older than everything of partition 0.
    FakeClock clock;
    auto topic = source(clock, {record("p0-a", 100, 0), record("p0-b", 200, 0), pull(Pull::idle), pull(Pull::idle),
                                record("p1-a", 50, 1), record("p1-b", 300, 1)});
    topic->show_lanes_of({{0, 0}, {0, 1}});
    auto m = run(clock, sources(std::move(topic)));
    CHECK(m.values == std::vector<std::string>{"p1-a", "p0-a", "p0-b", "p1-b"});
}

TEST_CASE("MergeSource: a lane that is done is not waited for") {
    FakeClock clock;
    auto topic = source(clock, {record("p0-a", 100, 0), record("p0-b", 200, 0)});
    topic->show_lanes_of({{0, 0}, {0, 1}, {0, 2}});  // partitions 1 and 2 are empty
    topic->endless_ = true;  // never ends by itself: only the lanes say it is over
    auto m = run(clock, sources(std::move(topic)));
    CHECK(m.values == std::vector<std::string>{"p0-a", "p0-b"});
    CHECK(m.outcome.stop == Stop::end);
}

TEST_CASE("MergeSource: within a lane nothing is reordered, bad input included") {
    FakeClock clock;
    Script bad = record("", 0, 0, 0);
    bad.bad = "not a valid envelope";
    auto m = run(clock, sources(source(clock, {record("a1", 10, 0, 0), record("a2", 50, 0, 0), bad,
                                               record("a3", 30, 0, 0)}),
                                source(clock, {record("b1", 20, 0, 1), record("b2", 40, 0, 1)})));
    // a3 is older than a2 but comes after it in its file: it goes once a2 and the bad line went.
    CHECK(m.values == std::vector<std::string>{"a1", "b1", "b2", "a2", "a3"});
    CHECK(m.outcome.stats.bad == 1);
}

TEST_CASE("MergeSource: bad input that stops the run comes after every record before it in its source") {
    FakeClock clock;
    Script bad = record("", 0, 0, 0);
    bad.bad = "not a valid envelope";
    auto m = run(clock,
                 sources(source(clock, {record("a1", 10, 0, 0), record("a2", 30, 0, 0), bad, record("a3", 50, 0, 0)}),
                         source(clock, {record("b1", 20, 0, 1), record("b2", 40, 0, 1)})),
                 64 << 20, OnError::fail);
    CHECK(m.values == std::vector<std::string>{"a1", "b1", "a2"});
    CHECK(m.outcome.stop == Stop::bad_input);
}

TEST_CASE("MergeSource: past the memory bound, the oldest record held goes without waiting") {
    // Partition 1 has one record, older than all, that comes only after 50 of partition
    // 0: waiting for it would hold them all; past 1000 bytes they go in their order.
    FakeClock clock;
    std::vector<Script> script;
    for (int i = 0; i < 50; ++i) script.push_back(record("f" + std::to_string(i), 100 + i, 0));
    script.push_back(record("late", 1, 1));
    auto topic = source(clock, script);
    topic->show_lanes_of({{0, 0}, {0, 1}});
    auto m = run(clock, sources(std::move(topic)), 1000);
    REQUIRE(m.values.size() == 51);
    CHECK(m.values.front() == "f0");
    auto late = std::find(m.values.begin(), m.values.end(), "late") - m.values.begin();
    CHECK(late > 30);
    m.values.erase(m.values.begin() + late);
    for (int i = 0; i < 50; ++i) CHECK(m.values[static_cast<size_t>(i)] == "f" + std::to_string(i));
    // Without the bound it would have waited.
    FakeClock clock2;
    auto again = source(clock2, script);
    again->show_lanes_of({{0, 0}, {0, 1}});
    CHECK(run(clock2, sources(std::move(again))).values.front() == "late");
}

TEST_CASE("MergeSource: keys, values, headers and positions go through unchanged") {
    class One : public Source {
    public:
        Result<Pull> pull(Item& out, int) override {
            if (sent_) return Pull::end;
            sent_ = true;
            out = {};
            out.record = {"topic-a", 2, 17, 1234, TimestampType::log_append, std::string_view(""), std::nullopt,
                          {{"h", std::string_view("1")}, {"h", std::nullopt}, {"", std::string_view("")},
                           {"bin", std::string_view("\0\xff", 2)}}};
            out.pos = {3, 2, 17};
            return Pull::item;
        }

    private:
        bool sent_ = false;
    };
    std::vector<std::unique_ptr<Source>> all;
    all.push_back(std::make_unique<One>());
    MergeSource merge(std::move(all));
    Item got;
    REQUIRE(merge.pull(got, 0).value() == Pull::item);
    const RecordView& r = got.record;
    CHECK(r.topic == "topic-a");
    CHECK((r.partition == 2 && r.offset == 17 && r.timestamp == 1234));
    CHECK(r.timestamp_type == TimestampType::log_append);
    REQUIRE(r.key);
    CHECK(r.key->empty());
    CHECK_FALSE(r.value);
    REQUIRE(r.headers.size() == 4);
    CHECK((r.headers[0].name == "h" && r.headers[0].value == std::string_view("1")));
    CHECK((r.headers[1].name == "h" && !r.headers[1].value));
    CHECK((r.headers[2].name.empty() && r.headers[2].value == std::string_view("")));
    CHECK(r.headers[3].value == std::string_view("\0\xff", 2));
    CHECK(got.pos == Position{3, 2, 17});
    CHECK(merge.pull(got, 0).value() == Pull::end);
}

TEST_CASE("MergeSource: done goes to the source of the lane") {
    FakeClock clock;
    auto a = source(clock, {record("a1", 10, 0, 0), record("a2", 30, 0, 0)});
    auto b = source(clock, {record("b1", 20, 0, 1)});
    a->wants_done_ = true;
    b->wants_done_ = true;
    FakeSource* pa = a.get();
    FakeSource* pb = b.get();
    MergeSource merge(sources(std::move(a), std::move(b)));
    FakeWriter w(clock);
    PumpOptions o;
    o.clock = &clock;
    pump(merge, {}, w, o);
    CHECK(pa->done_at == std::vector<int64_t>{0, 1});
    CHECK(pb->done_at == std::vector<int64_t>{0});
}
