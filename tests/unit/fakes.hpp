// Fakes for tests of the pump and of sources built on others (merge): a clock moved by
// hand, a source that plays a script, a writer that records. No broker, no real waiting.
#pragma once
#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "pipeline.hpp"

namespace kpipe::fakes {

struct FakeClock : Clock {
    time_point t{};
    time_point now() const override { return t; }
};

// One scripted pull: an item (value `v`, position `at` in partition `partition` of place
// `place`, with `timestamp`), bad input, idle, a barrier, an error.
struct Script {
    Pull kind = Pull::item;
    std::string value;
    int64_t at = 0;
    std::string bad;
    bool error = false;
    int64_t timestamp = -1;
    int32_t partition = 0;
    uint32_t place = 0;
};

inline Script item(std::string v, int64_t at) {
    Script s;
    s.value = std::move(v);
    s.at = at;
    return s;
}

// An item of lane (place, partition) with a timestamp; its position counts up per lane.
inline Script record(std::string v, int64_t timestamp, int32_t partition = 0, uint32_t place = 0) {
    Script s = item(std::move(v), -1);
    s.timestamp = timestamp;
    s.partition = partition;
    s.place = place;
    return s;
}

inline Script pull(Pull kind) {
    Script s;
    s.kind = kind;
    return s;
}

class FakeSource : public Source {
public:
    FakeSource(FakeClock& clock, std::vector<Script> script) : clock_(clock), script_(script.begin(), script.end()) {
        std::map<std::pair<uint32_t, int32_t>, int64_t> next;
        for (auto& s : script_) {
            if (s.kind != Pull::item || s.at >= 0) continue;
            s.at = next[{s.place, s.partition}]++;
        }
    }
    Result<Pull> pull(Item& out, int wait_ms) override {
        ++pulls;
        if (script_.empty()) {
            if (!endless_) return Pull::end;
            clock_.t += std::chrono::milliseconds(wait_ms);
            return Pull::idle;
        }
        current_ = script_.front();
        script_.pop_front();
        if (current_.error) return fail(Exit::not_found, "topic 'gone' does not exist");
        if (current_.kind == Pull::idle) clock_.t += std::chrono::milliseconds(wait_ms);
        if (current_.kind != Pull::item) return current_.kind;
        out = {};
        out.record.value = current_.value;
        out.record.timestamp = current_.timestamp;
        out.record.partition = current_.partition;
        out.pos = {current_.place, current_.partition, current_.at};
        out.bad = current_.bad;
        return Pull::item;
    }
    bool wants_done() const override { return wants_done_; }
    void done(const Position& p) override { done_at.push_back(p.at); }
    Result<void> tick() override {
        ++ticks;
        return {};
    }
    Result<void> finish() override {
        finished = true;
        return {};
    }
    bool endless() const override { return endless_; }
    // With `show_lanes`, like a topic: one lane per (place, partition) of the script, done
    // once none of its items is left.
    std::vector<Lane> lanes() const override {
        if (!show_lanes) return {};
        std::map<std::pair<uint32_t, int32_t>, bool> left;
        for (const auto& s : all_lanes_) left[s] = false;
        for (const auto& s : script_)
            if (s.kind == Pull::item) left[{s.place, s.partition}] = true;
        std::vector<Lane> out;
        for (const auto& [key, more] : left) out.push_back({key.first, key.second, !more});
        return out;
    }
    void show_lanes_of(std::vector<std::pair<uint32_t, int32_t>> lanes) {
        show_lanes = true;
        all_lanes_ = std::move(lanes);
    }

    bool wants_done_ = false;
    bool endless_ = false;
    bool show_lanes = false;
    int pulls = 0;
    int ticks = 0;
    bool finished = false;
    std::vector<int64_t> done_at;

private:
    FakeClock& clock_;
    std::deque<Script> script_;
    Script current_;
    std::vector<std::pair<uint32_t, int32_t>> all_lanes_;
};

class FakeWriter : public Writer {
public:
    explicit FakeWriter(FakeClock& clock) : clock_(clock) {}
    Result<State> write(const Item& item) override {
        written.emplace_back(*item.record.value);
        write_times.push_back(clock_.t);
        buffered_.push_back(item.pos);
        clock_.t += write_cost;
        if (close_after >= 0 && static_cast<int>(written.size()) >= close_after) return State::closed;
        return State::open;
    }
    void skip(const Item& item) override {
        skipped.push_back(item.pos.at);
        buffered_.push_back(item.pos);
    }
    void reject(const Item& item, std::string_view reason) override {
        rejected.push_back(item.pos.at);
        reasons.emplace_back(reason);
    }
    Result<State> flush(bool all) override {
        if (all) ++barrier_flushes;
        for (const auto& p : buffered_) done(p);
        buffered_.clear();
        return State::open;
    }
    void wait(int ms) override { clock_.t += std::chrono::milliseconds(ms); }
    End finish(bool interrupted) override {
        finished = true;
        finished_interrupted = interrupted;
        return {failures, {}, {}};
    }

    std::vector<std::string> written;
    std::vector<Clock::time_point> write_times;
    std::vector<int64_t> skipped, rejected;
    std::vector<std::string> reasons;
    int barrier_flushes = 0;
    int close_after = -1;
    uint64_t failures = 0;
    bool finished = false;
    bool finished_interrupted = false;
    Clock::time_point::duration write_cost{0};  // how long each write takes (a slow target)

private:
    FakeClock& clock_;
    std::vector<Position> buffered_;
};

}  // namespace kpipe::fakes
