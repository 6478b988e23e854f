#include "pump.hpp"

#include <algorithm>

namespace kpipe {

namespace {

using std::chrono::milliseconds;

constexpr auto tick_every = milliseconds(250);
constexpr int idle_wait_ms = 100;

class Pump {
public:
    Pump(Source& s, std::span<Step* const> steps, Writer& w, const PumpOptions& o)
        : source_(s), steps_(steps), writer_(w), opts_(o), clock_(o.clock ? *o.clock : real_clock_) {}

    Outcome run();

private:
    // nullopt: go on.
    std::optional<Stop> on_item(Item& item);
    std::optional<Stop> run_steps(Item& item, size_t from);
    std::optional<Stop> on_idle();
    std::optional<Stop> flush(bool all);
    std::optional<Stop> state(Writer::State s);
    std::optional<Stop> reject(const Item& item, std::string_view reason);
    std::optional<Stop> pace(const Item& item);
    bool maybe_tick(bool force = false);
    std::optional<Stop> fail(Error e) {
        if (!out_.error) out_.error = std::move(e);
        return Stop::error;
    }

    Source& source_;
    std::span<Step* const> steps_;
    Writer& writer_;
    const PumpOptions& opts_;
    Clock real_clock_;
    const Clock& clock_;
    Outcome out_;
    Clock::time_point now_{};
    Clock::time_point next_tick_{};
    Clock::time_point last_item_{};
    uint64_t since_clock_ = 0;
    bool rejected_ = false;  // the current item was reported bad
};

std::optional<Stop> Pump::state(Writer::State s) {
    switch (s) {
        case Writer::State::open: return std::nullopt;
        case Writer::State::closed: return Stop::closed;
        case Writer::State::interrupted: return Stop::interrupted;
        case Writer::State::refused: return Stop::refused;
    }
    return std::nullopt;
}

std::optional<Stop> Pump::flush(bool all) {
    auto s = writer_.flush(all);
    if (!s) return fail(std::move(s.error()));
    return state(*s);
}

std::optional<Stop> Pump::reject(const Item& item, std::string_view reason) {
    ++out_.stats.bad;
    rejected_ = true;
    writer_.reject(item, reason);
    if (opts_.on_error == OnError::fail) return Stop::bad_input;  // the item is never done
    writer_.skip(item);  // reported: done, in order with the others
    return std::nullopt;
}

bool Pump::maybe_tick(bool force) {
    if (!force && now_ < next_tick_) return false;
    next_tick_ = now_ + tick_every;
    writer_.tick();
    if (opts_.on_tick) opts_.on_tick(out_.stats);
    return true;
}

// Waits until the item is due, ticking both sides meanwhile (acknowledgements arrive, a
// checkpoint is saved); a stop when cancelled before (the item is not written).
std::optional<Stop> Pump::pace(const Item& item) {
    now_ = clock_.now();  // the pump reads the clock every 256 items only: a pacer needs it now
    auto due = opts_.pacer->due(item, now_);
    while (now_ < due) {
        if (opts_.cancel.requested()) return Stop::interrupted;
        auto left = std::chrono::duration_cast<milliseconds>(due - now_).count();
        writer_.wait(static_cast<int>(std::clamp<long long>(left, 1, 100)));
        now_ = clock_.now();
        if (!maybe_tick()) continue;
        if (auto t = source_.tick(); !t) return fail(std::move(t.error()));
    }
    return std::nullopt;
}

std::optional<Stop> Pump::on_item(Item& item) {
    ++out_.stats.pulled;
    // Reading the clock costs more than a record: look every 256 items.
    if ((++since_clock_ & 255) == 0) {
        now_ = clock_.now();
        maybe_tick();
        if (auto t = source_.tick(); !t) return fail(std::move(t.error()));
    }
    last_item_ = now_;
    if (!item.bad.empty()) return reject(item, item.bad);
    uint64_t written = out_.stats.written;
    rejected_ = false;
    if (auto stop = run_steps(item, 0)) return stop;
    if (out_.stats.written == written && !rejected_) {  // filtered out, or no output at all
        ++out_.stats.dropped;
        writer_.skip(item);
    }
    if ((since_clock_ & 255) == 0) writer_.wait(0);
    return std::nullopt;
}

// Steps from `from` on, then the writer; a step with several outputs runs the rest of
// the chain once per output.
std::optional<Stop> Pump::run_steps(Item& item, size_t from) {
    for (size_t i = from; i < steps_.size(); ++i) {
        Step& step = *steps_[i];
        auto keep = step.apply(item);
        if (!keep && keep.error().code == Exit::connect) return fail(std::move(keep.error()));  // a service went away
        if (!keep) return reject(item, keep.error().message);
        if (!*keep) return std::nullopt;
        if (!step.expands()) continue;
        if (auto stop = run_steps(item, i + 1)) return stop;
        for (;;) {
            auto more = step.more(item);
            if (!more) return reject(item, more.error().message);
            if (!*more) return std::nullopt;
            if (auto stop = run_steps(item, i + 1)) return stop;
        }
    }
    if (opts_.pacer) {
        if (auto stop = pace(item)) return stop;
    }
    auto s = writer_.write(item);
    if (!s) return fail(std::move(s.error()));
    if (auto stop = state(*s)) return stop;
    ++out_.stats.written;
    if (opts_.limit >= 0 && out_.stats.written >= static_cast<uint64_t>(opts_.limit)) return Stop::limit;
    return std::nullopt;
}

std::optional<Stop> Pump::on_idle() {
    now_ = clock_.now();
    if (auto stop = flush(false)) return stop;
    writer_.wait(0);
    maybe_tick();
    if (auto t = source_.tick(); !t) return fail(std::move(t.error()));
    if (writer_.gone()) return Stop::closed;
    if (opts_.idle && now_ - last_item_ >= *opts_.idle) return Stop::idle;
    return std::nullopt;
}

Outcome Pump::run() {
    now_ = clock_.now();
    last_item_ = now_;
    next_tick_ = now_ + tick_every;
    if (source_.wants_done()) writer_.set_listener(&source_);
    Item item;
    int wait = 0;
    std::optional<Stop> stop;
    if (opts_.limit == 0) stop = Stop::limit;
    while (!stop) {
        if (opts_.cancel.requested()) {
            stop = Stop::interrupted;
            break;
        }
        auto pulled = source_.pull(item, wait);
        if (!pulled) {
            stop = fail(std::move(pulled.error()));
            break;
        }
        switch (*pulled) {
            case Pull::item:
                wait = 0;
                stop = on_item(item);
                break;
            case Pull::idle:
                wait = idle_wait_ms;
                stop = on_idle();
                break;
            case Pull::barrier: stop = flush(true); break;
            case Pull::end: stop = Stop::end; break;
        }
    }
    if (opts_.cancel.requested() && *stop != Stop::closed && *stop != Stop::error) stop = Stop::interrupted;
    out_.stop = *stop;
    out_.endless = source_.endless() && opts_.limit < 0;
    // Write out what is buffered (unless the reader is gone), then finish both sides.
    if (out_.stop != Stop::closed) {
        if (auto s = writer_.flush(false); !s && !out_.error) out_.error = std::move(s.error());
    }
    auto end = writer_.finish(out_.stop == Stop::interrupted);
    // Cancelled while the writer finished (e.g. while waiting for acknowledgements).
    if (opts_.cancel.requested() && out_.stop != Stop::closed && out_.stop != Stop::error)
        out_.stop = Stop::interrupted;
    out_.failed = end.failed;
    if (!end.fatal && !out_.error) out_.error = std::move(end.fatal.error());
    if (!end.after) out_.after = std::move(end.after.error());
    if (auto f = source_.finish(); !f && !out_.error) out_.error = std::move(f.error());
    now_ = clock_.now();
    if (opts_.on_tick) opts_.on_tick(out_.stats);
    return std::move(out_);
}

}  // namespace

Outcome pump(Source& source, std::span<Step* const> steps, Writer& writer, const PumpOptions& options) {
    return Pump(source, steps, writer, options).run();
}

Exit exit_code(const Outcome& o) {
    if (o.stop == Stop::interrupted && !o.endless) return Exit::interrupted;
    if (o.error) return o.error->code;
    if (o.failed > 0 || o.stats.bad > 0) return Exit::data;
    if (o.after) return o.after->code;
    return Exit::ok;
}

}  // namespace kpipe
