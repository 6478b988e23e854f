// Pacers on a fake clock: when each record is due, and the pump keeping to it.
#include <doctest/doctest.h>

#include <csignal>

#include "fakes.hpp"
#include "pacers.hpp"
#include "pump.hpp"

using namespace kpipe;
using namespace kpipe::fakes;
using namespace std::chrono_literals;

namespace {

using time_point = Pacer::time_point;

Item at_time(int64_t ts) {
    Item i;
    i.record.timestamp = ts;
    return i;
}

// Due times of records with these timestamps, asked at `now` (the writer always on time).
std::vector<std::chrono::milliseconds> dues(TimestampPacer& p, const std::vector<int64_t>& timestamps) {
    time_point start{std::chrono::hours(1)};
    std::vector<std::chrono::milliseconds> out;
    time_point now = start;
    for (int64_t ts : timestamps) {
        time_point due = p.due(at_time(ts), now);
        out.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(due - start));
        now = std::max(now, due);
    }
    return out;
}

using ms = std::chrono::milliseconds;

}  // namespace

TEST_CASE("TimestampPacer: the first record at once, the next ones as far apart as their timestamps") {
    TimestampPacer p(1.0);
    CHECK(dues(p, {1000, 1250, 1250, 3000}) == std::vector<ms>{0ms, 250ms, 250ms, 2000ms});
    CHECK(p.scheduled() == 2000ms);
    CHECK(p.behind() == 0ms);
    CHECK(p.most_behind() == 0ms);
}

TEST_CASE("TimestampPacer: a factor divides the gaps") {
    TimestampPacer twice(2.0);
    CHECK(dues(twice, {0 + 5000, 1000 + 5000, 4000 + 5000}) == std::vector<ms>{0ms, 500ms, 2000ms});
    CHECK(twice.scheduled() == 2000ms);
    TimestampPacer half(0.5);
    CHECK(dues(half, {5000, 6000, 9000}) == std::vector<ms>{0ms, 2000ms, 8000ms});
    TimestampPacer ten(10.0);
    CHECK(dues(ten, {5000, 6000, 9000}) == std::vector<ms>{0ms, 100ms, 400ms});
}

TEST_CASE("TimestampPacer: --max-gap caps long silences, shorter gaps stay") {
    TimestampPacer p(1.0, Millis(1000));
    CHECK(dues(p, {1000, 1500, 3601500, 3601700}) == std::vector<ms>{0ms, 500ms, 1500ms, 1700ms});
    CHECK(p.scheduled() == 1700ms);
    TimestampPacer fast(4.0, Millis(1000));  // the cap is on the records' time, before the factor
    CHECK(dues(fast, {1000, 3601000, 3601400}) == std::vector<ms>{0ms, 250ms, 350ms});
}

TEST_CASE("TimestampPacer: records out of order or without a timestamp go at once; the next gap is from the latest") {
    TimestampPacer p(1.0);
    CHECK(dues(p, {10000, 12000, 11000, -1, 12500, 13000}) ==
          std::vector<ms>{0ms, 2000ms, 2000ms, 2000ms, 2500ms, 3000ms});
    TimestampPacer none(1.0);
    CHECK(dues(none, {-1, -1, 7000, 7100}) == std::vector<ms>{0ms, 0ms, 0ms, 100ms});
}

TEST_CASE("TimestampPacer: when writing falls behind it says by how much, and keeps the schedule") {
    TimestampPacer p(1.0);
    time_point start{std::chrono::hours(1)};
    CHECK(p.due(at_time(0 + 100), start) == start);
    // The second record is asked for 300 ms late: due at +100, 200 ms behind.
    CHECK(p.due(at_time(200), start + 300ms) == start + 100ms);
    CHECK(p.behind() == 200ms);
    // Later ones keep their place in the schedule (no drift from the lateness)...
    CHECK(p.due(at_time(1100), start + 400ms) == start + 1000ms);
    CHECK(p.behind() == 0ms);
    // ...and the worst lateness is remembered.
    CHECK(p.due(at_time(1200), start + 1600ms) == start + 1100ms);
    CHECK(p.behind() == 500ms);
    CHECK(p.most_behind() == 500ms);
}

TEST_CASE("pump + TimestampPacer: 300,000 records over 3 s at 1x (100,000 records/s) hold the schedule") {
    FakeClock clock;
    std::vector<Script> script;
    const int64_t t0 = 1'764'000'000'000;
    for (int i = 0; i < 300'000; ++i) script.push_back(record("r", t0 + i / 100));  // 100 per millisecond
    FakeSource src(clock, script);
    FakeWriter w(clock);
    w.write_cost = std::chrono::microseconds(2);  // a target that takes 500,000 records/s
    TimestampPacer pacer(1.0);
    PumpOptions o;
    o.clock = &clock;
    o.pacer = &pacer;
    auto start = clock.t;
    Outcome out = pump(src, {}, w, o);
    CHECK(out.stats.written == 300'000);
    REQUIRE(w.write_times.size() == 300'000);
    for (size_t i = 0; i < w.write_times.size(); i += 997) {
        auto due = std::chrono::milliseconds(static_cast<int64_t>(i) / 100);
        auto late = w.write_times[i] - start - due;
        CHECK(late >= 0ms);
        CHECK(late < 2ms);  // waits are whole milliseconds: a millisecond's records go together
    }
    CHECK(pacer.scheduled() == 2999ms);
    CHECK(pacer.most_behind() < 2ms);
}

TEST_CASE("pump + TimestampPacer: a target slower than the records falls behind, and says how far") {
    FakeClock clock;
    std::vector<Script> script;
    for (int i = 0; i < 1000; ++i) script.push_back(record("r", 5000 + i));  // 1000 records/s for 1 s
    FakeSource src(clock, script);
    FakeWriter w(clock);
    w.write_cost = std::chrono::microseconds(2000);  // only 500 records/s
    TimestampPacer pacer(1.0);
    PumpOptions o;
    o.clock = &clock;
    o.pacer = &pacer;
    Outcome out = pump(src, {}, w, o);
    CHECK(out.stats.written == 1000);  // nothing dropped: each goes as soon as it can
    CHECK(pacer.scheduled() == 999ms);
    // The last record was due at 999 ms and asked for at 999 * 2 ms.
    CHECK(pacer.behind() == 999ms);
    CHECK(pacer.most_behind() == 999ms);
    CHECK(w.write_times.back() - w.write_times.front() == 1998ms);
}

TEST_CASE("pump + TimestampPacer + RatePacer: the later of the two") {
    FakeClock clock;
    FakeSource src(clock, {record("a", 1000), record("b", 1010), record("c", 1020), record("d", 2020)});
    FakeWriter w(clock);
    TimestampPacer own(1.0);
    RatePacer rate(10);  // 100 ms apart
    BothPacers both(own, rate);
    PumpOptions o;
    o.clock = &clock;
    o.pacer = &both;
    pump(src, {}, w, o);
    REQUIRE(w.write_times.size() == 4);
    auto t = [&](size_t i) { return w.write_times[i] - w.write_times[0]; };
    CHECK(t(1) == 100ms);
    CHECK(t(2) == 200ms);
    CHECK(t(3) == 1020ms);
}

TEST_CASE("pump + TimestampPacer: Ctrl-C while waiting for a record's time does not send it") {
    volatile std::sig_atomic_t flag = 0;
    FakeClock clock;
    FakeSource src(clock, {record("a", 0 + 1000), record("b", 3'600'000)});  // an hour later
    struct Cancelling : FakeWriter {
        using FakeWriter::FakeWriter;
        volatile std::sig_atomic_t* flag = nullptr;
        void wait(int ms) override {
            FakeWriter::wait(ms);
            *flag = SIGINT;  // Ctrl-C during the wait
        }
    } w(clock);
    w.flag = &flag;
    TimestampPacer pacer(1.0);
    PumpOptions o;
    o.clock = &clock;
    o.pacer = &pacer;
    o.cancel = Cancel(&flag);
    Outcome out = pump(src, {}, w, o);
    CHECK(w.written == std::vector<std::string>{"a"});
    CHECK(out.stop == Stop::interrupted);
    CHECK(exit_code(out) == Exit::interrupted);
    CHECK(clock.t < Clock::time_point{} + 1s);  // it did not wait the hour
}

TEST_CASE("pump + TimestampPacer: the source ticks while the pump waits for a record's time (a checkpoint is saved)") {
    FakeClock clock;
    FakeSource src(clock, {record("a", 1000), record("b", 3000)});
    FakeWriter w(clock);
    TimestampPacer pacer(1.0);
    PumpOptions o;
    o.clock = &clock;
    o.pacer = &pacer;
    pump(src, {}, w, o);
    CHECK(w.written.size() == 2);
    CHECK(src.ticks >= 5);  // about every 250 ms of the 2 s wait (none before)
}
