#include "merge_source.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

namespace kpipe {

namespace {

using Field = std::optional<std::string_view>;

int32_t length_of(const Field& f) { return f ? static_cast<int32_t>(f->size()) : -1; }

void append_int(std::string& s, int32_t v) { s.append(reinterpret_cast<const char*>(&v), sizeof v); }

int32_t read_int(const char* p) {
    int32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

}  // namespace

MergeSource::MergeSource(std::vector<std::unique_ptr<Source>> sources, size_t max_buffered)
    : sources_(std::move(sources)), ended_(sources_.size(), false), max_buffered_(max_buffered) {
    for (size_t i = 0; i < sources_.size(); ++i) refresh(i);
}

MergeSource::Held MergeSource::hold(const Item& item) {
    const RecordView& r = item.record;
    Held h;
    h.pos = item.pos;
    h.timestamp = r.timestamp;
    h.offset = r.offset;
    h.partition = r.partition;
    h.timestamp_type = r.timestamp_type;
    if (!item.bad.empty()) h.bad = item.bad;
    if (r.key_schema) h.key_schema = *r.key_schema;
    if (r.value_schema) h.value_schema = *r.value_schema;
    auto each = [&](auto&& f) {
        f(Field(r.topic));
        f(r.key);
        f(r.value);
        for (const auto& hd : r.headers) {
            f(Field(hd.name));
            f(hd.value);
        }
    };
    size_t fields = 3 + 2 * r.headers.size(), total = sizeof(int32_t) * (1 + fields);
    each([&](const Field& f) { total += f ? f->size() : 0; });
    h.bytes.reserve(total);
    append_int(h.bytes, static_cast<int32_t>(fields));
    each([&](const Field& f) { append_int(h.bytes, length_of(f)); });
    each([&](const Field& f) {
        if (f) h.bytes += *f;
    });
    return h;
}

MergeSource::LaneQueue& MergeSource::lane_of(size_t source, int32_t partition, uint32_t place) {
    for (auto& q : lanes_)
        if (q.source == source && q.lane.partition == partition && q.lane.place == place) return q;
    lanes_.push_back({source, {place, partition, false}, {}});
    return lanes_.back();
}

// A source's own view of its lanes (a topic's partitions); a source without lanes has one,
// found when its first item arrives and done when the source ends. Lanes change only
// while their source is pulled.
void MergeSource::refresh(size_t source) {
    for (const Lane& l : sources_[source]->lanes()) lane_of(source, l.partition, l.place).lane.done = l.done;
    if (ended_[source])
        for (auto& q : lanes_)
            if (q.source == source) q.lane.done = true;
}

// A lane of this source may have an older record than any held: it is empty and not done
// (a source that has not shown a lane yet counts as one).
bool MergeSource::blocking(size_t source) const {
    if (ended_[source]) return false;
    bool any = false;
    for (const auto& q : lanes_) {
        if (q.source != source) continue;
        any = true;
        if (!q.lane.done && q.held.empty()) return true;
    }
    return !any;
}

// The lane whose next item goes first: bad input and records without a timestamp, then the
// oldest; on equal times the source given first, then the lane seen first.
MergeSource::LaneQueue* MergeSource::oldest() {
    LaneQueue* best = nullptr;
    int64_t best_ts = 0;
    for (auto& q : lanes_) {
        if (q.held.empty()) continue;
        const Held& h = q.held.front();
        int64_t ts = h.bad.empty() ? h.timestamp : -1;
        if (!best || ts < best_ts || (ts == best_ts && q.source < best->source)) {
            best = &q;
            best_ts = ts;
        }
    }
    return best;
}

void MergeSource::hand_out(LaneQueue& q, Item& out) {
    current_ = std::move(q.held.front());
    q.held.pop_front();
    buffered_ -= std::min(buffered_, current_.size());
    const Held& h = current_;
    const char* p = h.bytes.data();
    size_t n = static_cast<size_t>(read_int(p));
    const char* data = p + sizeof(int32_t) * (1 + n);
    auto field = [&](size_t i) -> Field {
        int32_t len = read_int(p + sizeof(int32_t) * (1 + i));
        if (len < 0) return std::nullopt;
        std::string_view f(data, static_cast<size_t>(len));
        data += len;
        return f;
    };
    RecordView& r = out.record;
    r.topic = *field(0);
    r.key = field(1);
    r.value = field(2);
    r.headers.clear();
    for (size_t i = 3; i + 1 < n; i += 2) {
        std::string_view name = *field(i);
        r.headers.push_back({name, field(i + 1)});
    }
    r.partition = h.partition;
    r.offset = h.offset;
    r.timestamp = h.timestamp;
    r.timestamp_type = h.timestamp_type;
    r.key_schema = h.key_schema ? &*h.key_schema : nullptr;
    r.value_schema = h.value_schema ? &*h.value_schema : nullptr;
    out.pos = h.pos;
    out.bad = h.bad;
    out.envelope = {};
}

Result<Pull> MergeSource::pull(Item& out, int wait_ms) {
    for (size_t idle_in_a_row = 0;;) {
        bool blocked = false;
        for (size_t i = 0; i < sources_.size() && !blocked; ++i) blocked = blocking(i);
        if (!blocked || buffered_ > max_buffered_) {
            LaneQueue* q = oldest();
            if (!q) return Pull::end;  // every lane is done and empty
            if (blocked && !warned_) {
                warned_ = true;
                fmt::print(stderr, "kpipe: more than {} MB held waiting for a slow source; from here the time "
                                   "order across sources is approximate\n", max_buffered_ >> 20);
            }
            hand_out(*q, out);
            return Pull::item;
        }
        // The next source that a lane waits for: pull from it, unless that lane is done by now.
        size_t i = next_;
        while (!blocking(i)) i = (i + 1) % sources_.size();
        next_ = (i + 1) % sources_.size();
        refresh(i);
        if (!blocking(i)) continue;
        auto r = sources_[i]->pull(out, wait_ms);  // `out` is scratch until an item is handed out
        if (!r) return r;
        switch (*r) {
            case Pull::item: {
                idle_in_a_row = 0;
                Held h = hold(out);
                buffered_ += h.size();
                lane_of(i, out.pos.partition, out.pos.place).held.push_back(std::move(h));
                break;
            }
            case Pull::idle:
                if (++idle_in_a_row >= sources_.size()) return Pull::idle;
                break;
            case Pull::end:
                ended_[i] = true;
                refresh(i);
                break;
            case Pull::barrier: return Pull::barrier;
        }
    }
}

bool MergeSource::wants_done() const {
    return std::any_of(sources_.begin(), sources_.end(), [](const auto& s) { return s->wants_done(); });
}

Source* MergeSource::source_of(const Position& p) {
    for (const auto& q : lanes_)
        if (q.lane.place == p.place && q.lane.partition == p.partition) return sources_[q.source].get();
    return nullptr;
}

void MergeSource::done(const Position& p) {
    if (Source* s = source_of(p)) s->done(p);
}

void MergeSource::not_delivered(const Position& p) {
    if (Source* s = source_of(p)) s->not_delivered(p);
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

// The sources' mean: merged by time, they advance together.
std::optional<double> MergeSource::progress() const {
    double sum = 0;
    for (const auto& s : sources_) {
        auto p = s->progress();
        if (!p) return std::nullopt;
        sum += *p;
    }
    return sources_.empty() ? std::nullopt : std::optional(sum / static_cast<double>(sources_.size()));
}

}  // namespace kpipe
