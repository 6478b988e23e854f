#include "lag.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "duration.hpp"

namespace kpipe::lag {

std::optional<int64_t> PartitionLag::lag() const {
    if (!committed) return std::nullopt;
    return std::max<int64_t>(0, end - *committed);
}

std::vector<std::string> topics_of(const GroupInput& in, const std::map<std::string, int32_t>& partition_counts,
                                   const std::optional<std::string>& only) {
    std::set<std::string> names;
    auto consider = [&](const std::string& t) {
        if ((!only || *only == t) && partition_counts.contains(t)) names.insert(t);
    };
    for (const auto& [key, offset] : in.committed) consider(key.first);
    for (const auto& [key, owner] : in.owners) consider(key.first);
    return {names.begin(), names.end()};
}

Group assemble(const GroupInput& in, const std::vector<std::string>& topics,
               const std::map<std::string, int32_t>& partition_counts, const std::map<Key, int64_t>& ends) {
    Group g{in.name, in.state, in.members, {}};
    for (const auto& topic : topics) {
        auto count = partition_counts.find(topic);
        if (count == partition_counts.end()) continue;
        for (int32_t p = 0; p < count->second; ++p) {
            Key key{topic, p};
            PartitionLag pl{topic, p, std::nullopt, 0, std::nullopt, std::nullopt};
            if (auto c = in.committed.find(key); c != in.committed.end()) pl.committed = c->second;
            if (auto e = ends.find(key); e != ends.end()) pl.end = e->second;
            if (auto o = in.owners.find(key); o != in.owners.end()) pl.owner = o->second;
            g.partitions.push_back(std::move(pl));
        }
    }
    return g;
}

std::optional<int64_t> time_lag_ms(std::optional<int64_t> lag, std::optional<int64_t> record_timestamp_ms,
                                   bool nothing_to_read, int64_t now_ms) {
    if (!lag) return std::nullopt;
    if (*lag == 0 || nothing_to_read) return 0;
    if (!record_timestamp_ms || *record_timestamp_ms < 0) return std::nullopt;
    return std::max<int64_t>(0, now_ms - *record_timestamp_ms);
}

Totals totals(const Group& g, const std::optional<std::string>& topic) {
    Totals t;
    for (const auto& p : g.partitions) {
        if (topic && p.topic != *topic) continue;
        ++t.partitions;
        if (auto l = p.lag()) t.lag += *l;
        else ++t.uncommitted;
        if (p.time_lag_ms) t.time_lag_ms = std::max(t.time_lag_ms.value_or(0), *p.time_lag_ms);
    }
    return t;
}

std::vector<std::string> topic_names(const Group& g) {
    std::vector<std::string> out;
    for (const auto& p : g.partitions)
        if (out.empty() || out.back() != p.topic) out.push_back(p.topic);
    return out;
}

std::optional<int64_t> catch_up_ms(int64_t lag, double consume_per_s, double produce_per_s) {
    if (lag <= 0) return 0;
    double gain = consume_per_s - produce_per_s;
    if (!(gain > 0)) return std::nullopt;
    return static_cast<int64_t>(std::llround(static_cast<double>(lag) / gain * 1000.0));
}

Rates rates(const Group& older, int64_t older_ms, const Group& newer, int64_t newer_ms,
            const std::optional<std::string>& topic) {
    Rates r;
    if (newer_ms <= older_ms) return r;
    std::map<Key, const PartitionLag*> before;
    for (const auto& p : older.partitions) before[{p.topic, p.partition}] = &p;
    int64_t consumed = 0, produced = 0;
    bool any_common = false, any_committed = false;
    for (const auto& p : newer.partitions) {
        if (topic && p.topic != *topic) continue;
        auto it = before.find({p.topic, p.partition});
        if (it == before.end()) continue;
        const PartitionLag& o = *it->second;
        any_common = true;
        produced += std::max<int64_t>(0, p.end - o.end);
        if (p.committed && o.committed) {
            any_committed = true;
            consumed += std::max<int64_t>(0, *p.committed - *o.committed);
        }
    }
    double seconds = static_cast<double>(newer_ms - older_ms) / 1000.0;
    if (any_common) r.produce_per_s = static_cast<double>(produced) / seconds;
    if (any_committed) r.consume_per_s = static_cast<double>(consumed) / seconds;
    int64_t lag_now = totals(newer, topic).lag;
    if (lag_now == 0) r.catch_up_ms = 0;
    else if (r.consume_per_s && r.produce_per_s)
        r.catch_up_ms = catch_up_ms(lag_now, *r.consume_per_s, *r.produce_per_s);
    return r;
}

const char* status_name(Status s) {
    switch (s) {
        case Status::ok: return "OK";
        case Status::warn: return "WARN";
        case Status::stall: return "STALL";
        case Status::stop: return "STOP";
    }
    return "OK";
}

namespace {

struct History {
    std::vector<int64_t> committed;
    std::vector<int64_t> lag;
    bool moved() const {
        return std::adjacent_find(committed.begin(), committed.end(), std::not_equal_to<>()) != committed.end();
    }
    bool stuck() const { return committed.size() >= 2 && !moved(); }
    bool rising() const {
        if (lag.size() < 2 || lag.back() <= lag.front()) return false;
        return std::is_sorted(lag.begin(), lag.end());
    }
};

std::string where(const Key& k) { return fmt::format("{}[{}]", k.first, k.second); }

}  // namespace

Verdict evaluate(const std::vector<Sample>& window, size_t min_samples) {
    if (window.empty()) return {Status::ok, "no samples"};
    const Group& last = window.back().group;
    std::map<Key, History> hist;
    for (const auto& s : window)
        for (const auto& p : s.group.partitions)
            if (auto l = p.lag()) {
                auto& h = hist[{p.topic, p.partition}];
                h.committed.push_back(*p.committed);
                h.lag.push_back(*l);
            }

    std::vector<std::pair<Key, const History*>> lagging;
    int64_t lag_now = 0;
    for (const auto& p : last.partitions) {
        auto l = p.lag();
        if (!l || *l == 0) continue;
        Key key{p.topic, p.partition};
        const History& h = hist[key];
        if (std::find(h.lag.begin(), h.lag.end(), 0) != h.lag.end()) continue;
        lagging.emplace_back(key, &h);
        lag_now += *l;
    }
    const bool several = window.size() >= 2;
    const bool trend = window.size() >= std::max<size_t>(2, min_samples);
    const std::string span = format_duration(Millis(window.back().at_ms - window.front().at_ms));
    if (lagging.empty()) {
        if (hist.empty()) return {Status::ok, "no committed offsets"};
        return {Status::ok, totals(last).lag == 0 ? "caught up" : "caught up within the window"};
    }

    size_t moving = 0;
    const std::pair<Key, const History*>* stuck = nullptr;
    size_t stuck_count = 0;
    const std::pair<Key, const History*>* rising = nullptr;
    size_t rising_count = 0;
    for (const auto& e : lagging) {
        if (e.second->moved()) ++moving;
        if (e.second->stuck()) stuck_count++, stuck = stuck ? stuck : &e;
        if (e.second->rising()) rising_count++, rising = rising ? rising : &e;
    }
    if (last.members == 0 && moving == 0)
        return {Status::stop, fmt::format("no members and no commits{}; lag {} on {} partition{}",
                                          several ? " in " + span : "", lag_now, lagging.size(),
                                          lagging.size() == 1 ? "" : "s")};
    if (trend && last.members > 0 && stuck)
        return {Status::stall,
                fmt::format("committed offset not moving for {} on {} partition{} with lag (e.g. {} at {}, lag {})",
                            span, stuck_count, stuck_count == 1 ? "" : "s", where(stuck->first),
                            stuck->second->committed.back(), stuck->second->lag.back())};
    if (trend && rising)
        return {Status::warn,
                fmt::format("lag rising over {} on {} partition{} (e.g. {} {} -> {})", span, rising_count,
                            rising_count == 1 ? "" : "s", where(rising->first), rising->second->lag.front(),
                            rising->second->lag.back())};
    if (!several) return {Status::ok, fmt::format("lag {}; one sample, so no trend yet", lag_now)};
    if (!trend)
        return {Status::ok,
                fmt::format("lag {}; trend after {} samples ({} so far)", lag_now, min_samples, window.size())};
    return {Status::ok, fmt::format("lag {}, not rising over {}", lag_now, span)};
}

std::vector<Offence> offenders(const std::vector<Group>& groups, const Limits& limits) {
    std::vector<Offence> out;
    for (const auto& g : groups)
        for (const auto& p : g.partitions) {
            auto l = p.lag();
            std::string head = fmt::format("group '{}' topic '{}' partition {}", g.name, p.topic, p.partition);
            if (limits.max_lag && l && *l > *limits.max_lag) out.push_back({head, false, *l, *limits.max_lag});
            if (limits.max_time_lag_ms && p.time_lag_ms && *p.time_lag_ms > *limits.max_time_lag_ms)
                out.push_back({head, true, *p.time_lag_ms, *limits.max_time_lag_ms});
        }
    return out;
}

std::vector<std::string> unverified(const std::vector<Group>& groups, const Limits& limits) {
    std::vector<std::string> out;
    if (!limits.max_time_lag_ms) return out;
    for (const auto& g : groups)
        for (const auto& p : g.partitions) {
            auto l = p.lag();
            if (l && *l > 0 && !p.time_lag_ms)
                out.push_back(fmt::format("group '{}' topic '{}' partition {}", g.name, p.topic, p.partition));
        }
    return out;
}

}  // namespace kpipe::lag
