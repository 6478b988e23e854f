// The pump with a fake source, writer and clock: no broker, no real waiting.
#include <doctest/doctest.h>

#include <csignal>
#include <string>
#include <vector>

#include "fakes.hpp"
#include "pacers.hpp"
#include "pump.hpp"

using namespace kpipe;
using namespace kpipe::fakes;
using namespace std::chrono_literals;

namespace {

// Drops items whose value is "drop"; fails on "boom".
class FakeStep : public Step {
public:
    Result<bool> apply(Item& item) override {
        if (*item.record.value == "boom") return fail(Exit::data, "step failed");
        return *item.record.value != "drop";
    }
};

PumpOptions options(const FakeClock& clock) {
    PumpOptions o;
    o.clock = &clock;
    return o;
}

template <class F>
PumpOptions options(const FakeClock& clock, F&& set) {
    PumpOptions o = options(clock);
    set(o);
    return o;
}

}  // namespace

TEST_CASE("pump: every item is written in order, then the writer and the source finish") {
    FakeClock clock;
    FakeSource src(clock, {item("a", 1), pull(Pull::idle), item("b", 2), item("c", 3)});
    FakeWriter w(clock);
    Outcome o = pump(src, {}, w, options(clock));
    CHECK(w.written == std::vector<std::string>{"a", "b", "c"});
    CHECK(o.stop == Stop::end);
    CHECK(o.stats.pulled == 3);
    CHECK(o.stats.written == 3);
    CHECK((w.finished && src.finished));
    CHECK(exit_code(o) == Exit::ok);
}

TEST_CASE("pump: a limit stops after that many records written; a limited run is not endless") {
    FakeClock clock;
    FakeSource src(clock, {item("a", 1), item("b", 2), item("c", 3)});
    src.endless_ = true;
    FakeWriter w(clock);
    Outcome o = pump(src, {}, w, options(clock, [&](PumpOptions& p) { p.limit = 2; }));
    CHECK(w.written.size() == 2);
    CHECK(o.stop == Stop::limit);
    CHECK_FALSE(o.endless);
}

TEST_CASE("pump: dropped items are skipped in order, so the source hears of them as done") {
    FakeClock clock;
    FakeSource src(clock, {item("a", 1), item("drop", 2), item("b", 3)});
    src.wants_done_ = true;
    FakeWriter w(clock);
    FakeStep step;
    Step* steps[] = {&step};
    Outcome o = pump(src, steps, w, options(clock));
    CHECK(w.written == std::vector<std::string>{"a", "b"});
    CHECK(w.skipped == std::vector<int64_t>{2});
    CHECK(o.stats.dropped == 1);
    CHECK(src.done_at == std::vector<int64_t>{1, 2, 3});
}

TEST_CASE("pump: a failing step stops the run (fail) and its record is never done") {
    FakeClock clock;
    FakeSource src(clock, {item("a", 1), item("boom", 2), item("b", 3)});
    src.wants_done_ = true;
    FakeWriter w(clock);
    FakeStep step;
    Step* steps[] = {&step};
    Outcome o = pump(src, steps, w, options(clock, [&](PumpOptions& p) { p.on_error = OnError::fail; }));
    CHECK(o.stop == Stop::bad_input);
    CHECK(w.rejected == std::vector<int64_t>{2});
    CHECK(w.reasons == std::vector<std::string>{"step failed"});
    CHECK(w.written == std::vector<std::string>{"a"});
    CHECK(src.done_at == std::vector<int64_t>{1});
    CHECK(exit_code(o) == Exit::data);
}

TEST_CASE("pump: with skip, a failing record is reported and done, and the run goes on to exit 3") {
    FakeClock clock;
    FakeSource src(clock, {item("a", 1), item("boom", 2), item("b", 3)});
    src.wants_done_ = true;
    FakeWriter w(clock);
    FakeStep step;
    Step* steps[] = {&step};
    Outcome o = pump(src, steps, w, options(clock, [&](PumpOptions& p) { p.on_error = OnError::skip; }));
    CHECK(o.stop == Stop::end);
    CHECK(w.written == std::vector<std::string>{"a", "b"});
    CHECK(src.done_at == std::vector<int64_t>{1, 2, 3});
    CHECK(o.stats.bad == 1);
    CHECK(exit_code(o) == Exit::data);
}

TEST_CASE("pump: bad input from the source is rejected with the source's reason") {
    FakeClock clock;
    Script bad = item("", 7);
    bad.bad = "not valid JSON";
    FakeSource src(clock, {item("a", 1), bad, item("b", 8)});
    FakeWriter w(clock);
    Outcome o = pump(src, {}, w, options(clock, [&](PumpOptions& p) { p.on_error = OnError::skip; }));
    CHECK(w.rejected == std::vector<int64_t>{7});
    CHECK(w.reasons == std::vector<std::string>{"not valid JSON"});
    CHECK(w.written.size() == 2);
    CHECK(exit_code(o) == Exit::data);
}

TEST_CASE("pump: a reader that went away is a clean stop") {
    FakeClock clock;
    FakeSource src(clock, {item("a", 1), item("b", 2), item("c", 3)});
    FakeWriter w(clock);
    w.close_after = 2;
    Outcome o = pump(src, {}, w, options(clock));
    CHECK(o.stop == Stop::closed);
    CHECK(exit_code(o) == Exit::ok);
}

TEST_CASE("pump: cancellation is 130 for a source with an end, 0 for an endless one") {
    for (bool endless : {false, true}) {
        volatile std::sig_atomic_t flag = 0;
        FakeClock clock;
        FakeSource src(clock, {item("a", 1), item("b", 2), item("c", 3)});
        src.endless_ = endless;
        struct Cancelling : FakeWriter {
            using FakeWriter::FakeWriter;
            volatile std::sig_atomic_t* flag = nullptr;
            Result<State> write(const Item& item) override {
                *flag = SIGINT;  // Ctrl-C while the first record is written
                return FakeWriter::write(item);
            }
        } w(clock);
        w.flag = &flag;
        Outcome o = pump(src, {}, w, options(clock, [&](PumpOptions& p) { p.cancel = Cancel(&flag); }));
        CHECK(o.stop == Stop::interrupted);
        CHECK(w.written.size() == 1);
        CHECK(w.finished_interrupted);
        CHECK(exit_code(o) == (endless ? Exit::ok : Exit::interrupted));
    }
}

TEST_CASE("pump: a barrier flushes everything before the next pull") {
    FakeClock clock;
    FakeSource src(clock, {item("a", 1), pull(Pull::barrier), item("b", 2)});
    src.wants_done_ = true;
    FakeWriter w(clock);
    pump(src, {}, w, options(clock));
    CHECK(w.barrier_flushes == 1);
    CHECK(src.done_at == std::vector<int64_t>{1, 2});
}

TEST_CASE("pump: a source error stops the run, the writer still finishes, the error gives the exit code") {
    FakeClock clock;
    Script err;
    err.error = true;
    FakeSource src(clock, {item("a", 1), err});
    FakeWriter w(clock);
    Outcome o = pump(src, {}, w, options(clock));
    CHECK(o.stop == Stop::error);
    REQUIRE(o.error);
    CHECK(o.error->code == Exit::not_found);
    CHECK(w.finished);
    CHECK(w.written.size() == 1);
    CHECK(exit_code(o) == Exit::not_found);
}

TEST_CASE("pump: --idle ends a run after that long without an item") {
    FakeClock clock;
    FakeSource src(clock, {item("a", 1)});
    src.endless_ = true;
    FakeWriter w(clock);
    auto start = clock.t;
    Outcome o = pump(src, {}, w, options(clock, [&](PumpOptions& p) { p.idle = Millis(1000); }));
    CHECK(o.stop == Stop::idle);
    CHECK(clock.t - start >= 1000ms);
    CHECK(clock.t - start < 1200ms);
}

TEST_CASE("pump: a rate pacer spaces the writes on the clock, without sleeping") {
    FakeClock clock;
    FakeSource src(clock, {item("a", 1), item("b", 2), item("c", 3), item("d", 4), item("e", 5)});
    FakeWriter w(clock);
    RatePacer pacer(10);  // 10 records/s
    pump(src, {}, w, options(clock, [&](PumpOptions& p) { p.pacer = &pacer; }));
    REQUIRE(w.write_times.size() == 5);
    for (size_t i = 0; i < 5; ++i) {
        auto at = w.write_times[i] - w.write_times[0];
        CHECK(at >= std::chrono::milliseconds(100 * i));
        CHECK(at < std::chrono::milliseconds(100 * i + 5));
    }
}

TEST_CASE("exit_code: one precedence") {
    Outcome o;
    CHECK(exit_code(o) == Exit::ok);
    o.after = Error{Exit::runtime, "cannot write failed.jsonl"};
    CHECK(exit_code(o) == Exit::runtime);
    o.failed = 3;
    CHECK(exit_code(o) == Exit::data);
    o.error = Error{Exit::connect, "unreachable"};
    CHECK(exit_code(o) == Exit::connect);
    o.stop = Stop::interrupted;
    CHECK(exit_code(o) == Exit::interrupted);
    o.endless = true;
    CHECK(exit_code(o) == Exit::connect);
}
