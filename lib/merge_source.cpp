#include "merge_source.hpp"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace kpipe {

namespace {

size_t size_of(const Record& r) {
    size_t n = 64 + r.topic.size() + (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
    for (const auto& h : r.headers) n += 32 + h.name.size() + (h.value ? h.value->size() : 0);
    return n;
}

}  // namespace

MergeSource::MergeSource(std::vector<std::unique_ptr<Source>> sources, size_t max_buffered)
    : sources_(std::move(sources)), ended_(sources_.size(), false), max_buffered_(max_buffered) {}

MergeSource::LaneQueue& MergeSource::lane_of(size_t source, int32_t partition, uint32_t place) {
    for (auto& q : lanes_)
        if (q.source == source && q.lane.partition == partition && q.lane.place == place) return q;
    lanes_.push_back({source, {place, partition, false}, {}});
    return lanes_.back();
}

// A source's own view of its lanes (a topic's partitions); a source without lanes has one,
// found when its first record arrives and done when the source ends.
void MergeSource::refresh(size_t source) {
    for (const Lane& l : sources_[source]->lanes()) lane_of(source, l.partition, l.place).lane.done = l.done;
    if (ended_[source])
        for (auto& q : lanes_)
            if (q.source == source) q.lane.done = true;
}

void MergeSource::hand_out(LaneQueue& q, Item& out) {
    current_ = std::move(q.held.front());
    q.held.pop_front();
    buffered_ -= std::min(buffered_, size_of(current_.record));
    const Record& r = current_.record;
    out = {};
    out.record = view_of(r);
    out.pos = current_.pos;
}

Result<Pull> MergeSource::pull(Item& out, int wait_ms) {
    for (size_t idle_in_a_row = 0;;) {
        for (size_t i = 0; i < sources_.size(); ++i) refresh(i);
        // A source that has not shown a lane yet blocks like an empty lane.
        auto blocking = [&](size_t i) {
            if (ended_[i]) return false;
            bool any = false;
            for (const auto& q : lanes_) {
                if (q.source != i) continue;
                any = true;
                if (!q.lane.done && q.held.empty()) return true;
            }
            return !any;
        };
        bool blocked = false;
        for (size_t i = 0; i < sources_.size() && !blocked; ++i) blocked = blocking(i);
        if (!blocked || buffered_ > max_buffered_) {
            LaneQueue* oldest = nullptr;
            for (auto& q : lanes_)
                if (!q.held.empty() &&
                    (!oldest || q.held.front().record.timestamp < oldest->held.front().record.timestamp))
                    oldest = &q;
            if (!oldest) return Pull::end;  // every lane is done and empty
            if (blocked && !warned_) {
                warned_ = true;
                fmt::print(stderr, "kpipe: more than {} MB held waiting for a slow source; from here the time "
                                   "order across sources is approximate\n", max_buffered_ >> 20);
            }
            hand_out(*oldest, out);
            return Pull::item;
        }
        // Pull from the next source that a lane waits for.
        size_t i = next_;
        while (!blocking(i)) i = (i + 1) % sources_.size();
        next_ = (i + 1) % sources_.size();
        Item got;
        auto r = sources_[i]->pull(got, wait_ms);
        if (!r) return r;
        switch (*r) {
            case Pull::item: {
                idle_in_a_row = 0;
                if (!got.bad.empty()) {  // reported at once, in no particular order
                    out = got;
                    return Pull::item;
                }
                Held h{owned(got.record), got.pos};
                buffered_ += size_of(h.record);
                lane_of(i, got.pos.partition, got.pos.place).held.push_back(std::move(h));
                break;
            }
            case Pull::idle:
                if (++idle_in_a_row >= sources_.size()) return Pull::idle;
                break;
            case Pull::end: ended_[i] = true; break;
            case Pull::barrier: return Pull::barrier;
        }
    }
}

bool MergeSource::wants_done() const {
    return std::any_of(sources_.begin(), sources_.end(), [](const auto& s) { return s->wants_done(); });
}

void MergeSource::done(const Position& p) {
    for (const auto& q : lanes_)
        if (q.lane.place == p.place && q.lane.partition == p.partition) return sources_[q.source]->done(p);
}

Result<void> MergeSource::tick() {
    for (auto& s : sources_)
        if (auto t = s->tick(); !t) return t;
    return {};
}

Result<void> MergeSource::finish() {
    Result<void> first;
    for (auto& s : sources_)
        if (auto f = s->finish(); !f && first) first = std::move(f);
    return first;
}

bool MergeSource::endless() const {
    return std::any_of(sources_.begin(), sources_.end(), [](const auto& s) { return s->endless(); });
}

std::vector<Lane> MergeSource::lanes() const {
    std::vector<Lane> out;
    for (const auto& q : lanes_) out.push_back(q.lane);
    return out;
}

}  // namespace kpipe
