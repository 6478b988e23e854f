// Pacers: when the pump writes the next item.
#pragma once
#include <cstdint>
#include <optional>

#include "duration.hpp"
#include "pipeline.hpp"

namespace kpipe {

// At most `rate` records per second, on average since the first.
class RatePacer : public Pacer {
public:
    explicit RatePacer(double rate) : rate_(rate) {}
    time_point due(const Item& item, time_point now) override;

private:
    double rate_;
    uint64_t sent_ = 0;
    time_point start_{};
};

// The records' own pace: the first goes at once, each next one when as much time has
// passed (divided by `factor`: 2 is twice as fast) as between their timestamps. Gaps
// longer than `max_gap` count as `max_gap`; records out of order or without a timestamp
// go at once. Knows how far behind its schedule the writing fell.
class TimestampPacer : public Pacer {
public:
    explicit TimestampPacer(double factor, std::optional<Millis> max_gap = std::nullopt)
        : factor_(factor), max_gap_(max_gap) {}
    time_point due(const Item& item, time_point now) override;
    // The schedule's length so far (the records' span, gaps capped, divided by the factor).
    Millis scheduled() const;
    // How late the latest record was, and the most any was.
    Millis behind() const { return behind_; }
    Millis most_behind() const { return most_behind_; }

private:
    double factor_;
    std::optional<Millis> max_gap_;
    bool started_ = false;
    time_point start_{};
    int64_t last_ts_ = -1;
    int64_t span_ms_ = 0;  // timestamps' span so far, gaps capped
    Millis behind_{0};
    Millis most_behind_{0};
};

// The later of two pacers' times (e.g. the records' pace, but at most N per second).
class BothPacers : public Pacer {
public:
    BothPacers(Pacer& a, Pacer& b) : a_(a), b_(b) {}
    time_point due(const Item& item, time_point now) override { return std::max(a_.due(item, now), b_.due(item, now)); }

private:
    Pacer& a_;
    Pacer& b_;
};

}  // namespace kpipe
