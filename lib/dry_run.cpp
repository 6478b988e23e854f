#include "dry_run.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "terminal.hpp"
#include "timestamp.hpp"

namespace kpipe {

int32_t key_partition(std::string_view key, int32_t partitions) {
    constexpr uint32_t m = 0x5bd1e995;
    auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(key[i])); };
    uint32_t h = 0x9747b28c ^ static_cast<uint32_t>(key.size());
    size_t n4 = key.size() / 4;
    for (size_t i = 0; i < n4; ++i) {
        uint32_t k = byte(4 * i) | byte(4 * i + 1) << 8 | byte(4 * i + 2) << 16 | byte(4 * i + 3) << 24;
        k *= m;
        k ^= k >> 24;
        k *= m;
        h *= m;
        h ^= k;
    }
    size_t tail = 4 * n4;
    switch (key.size() % 4) {
        case 3: h ^= byte(tail + 2) << 16; [[fallthrough]];
        case 2: h ^= byte(tail + 1) << 8; [[fallthrough]];
        case 1:
            h ^= byte(tail);
            h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return static_cast<int32_t>((h & 0x7fffffff) % static_cast<uint32_t>(partitions));
}

Result<Writer::State> DryRunWriter::write(const Item& item) {
    const RecordView& r = item.record;
    Lane& l = lane(item.pos);
    ++l.records;
    ++records_;
    l.bytes += (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
    if (r.timestamp >= 0) {
        if (l.first < 0 || r.timestamp < l.first) l.first = r.timestamp;
        l.last = std::max(l.last, r.timestamp);
    }
    std::pair<int32_t, std::string_view> to{-1, ""};
    if (plan_.partition) to.first = *plan_.partition;
    else if (plan_.keep_partition && r.partition >= 0 && r.partition < plan_.target_partitions)
        to.first = r.partition;
    else if (r.key && plan_.target_partitions > 0) to = {key_partition(*r.key, plan_.target_partitions), " by key"};
    ++l.to[to];  // a null key: any partition (librdkafka picks one)
    pace_.due(item, {});
    return State::open;
}

void DryRunWriter::skip(const Item& item) { ++lane(item.pos).skipped; }

void DryRunWriter::reject(const Item& item, std::string_view reason) {
    ++lane(item.pos).bad;
    fmt::print(stderr, "kpipe: {}: {}\n", places_.format(item.pos), reason);
}

DryRunWriter::Totals DryRunWriter::totals() const {
    Totals t;
    for (const auto& [key, l] : lanes_) {
        if (l.first >= 0 && (t.first < 0 || l.first < t.first)) t.first = l.first;
        t.last = std::max(t.last, l.last);
    }
    t.how = "as fast as the brokers take them";
    if (plan_.speed > 0) {
        t.secs = static_cast<double>(pace_.scheduled().count()) / 1000.0 / plan_.speed;
        t.how = fmt::format("at {}x the records' pace{}", plan_.speed,
                            plan_.max_gap ? fmt::format(", gaps over {} shortened", format_duration(*plan_.max_gap)) : "");
    }
    if (plan_.rate > 0) {
        t.secs = std::max(t.secs, static_cast<double>(records_) / plan_.rate);
        std::string cap = fmt::format("at most {} records/s", plan_.rate);
        t.how = plan_.speed > 0 ? t.how + ", " + cap : cap;
    }
    return t;
}

std::string DryRunWriter::report() const {
    Table t({"SOURCE", "PARTITION", "RECORDS", "BYTES", "FIRST", "LAST", "TO PARTITION", "FILTERED", "BAD"});
    for (size_t c : {1, 2, 3, 7, 8}) t.right_align(c);
    for (const auto& [key, l] : lanes_) {
        std::string to;
        for (const auto& [p, n] : l.to)
            to += fmt::format("{}{}{}{}", to.empty() ? "" : ", ", p.first < 0 ? "any" : std::to_string(p.first),
                              p.second, l.to.size() > 1 ? fmt::format(" ({})", n) : "");
        auto when = [](int64_t ms) { return ms < 0 ? std::string("-") : format_iso_utc(ms); };
        t.add({places_.name(key.first), key.second < 0 ? "-" : std::to_string(key.second), std::to_string(l.records),
               std::to_string(l.bytes), when(l.first), when(l.last), to.empty() ? "-" : to, std::to_string(l.skipped),
               std::to_string(l.bad)});
    }
    Totals all = totals();
    std::string out = t.render();
    out += fmt::format("\n{} record(s) to {} ({} partition(s)), nothing sent (dry run)\n", records_, plan_.target,
                       plan_.target_partitions);
    if (all.first >= 0)
        out += fmt::format("time span: {} to {} ({})\n", format_iso_utc(all.first), format_iso_utc(all.last),
                           format_duration(Millis(all.last - all.first)));
    out += fmt::format("duration: {} ({})\n",
                       all.secs > 0 ? format_duration(Millis(static_cast<int64_t>(all.secs * 1000))) : "-", all.how);
    return out;
}

std::string DryRunWriter::report_json() const {
    using json = nlohmann::ordered_json;
    auto ms = [](int64_t v) { return v < 0 ? json() : json(v); };
    json sources = json::array();
    for (const auto& [key, l] : lanes_) {
        json to = json::array();
        for (const auto& [p, n] : l.to)
            to.push_back({{"partition", p.first < 0 ? json() : json(p.first)}, {"by_key", !p.second.empty()},
                          {"records", n}});
        sources.push_back({{"source", places_.name(key.first)},
                           {"partition", key.second < 0 ? json() : json(key.second)},
                           {"records", l.records},
                           {"bytes", l.bytes},
                           {"first", ms(l.first)},
                           {"last", ms(l.last)},
                           {"filtered", l.skipped},
                           {"bad", l.bad},
                           {"to", std::move(to)}});
    }
    Totals all = totals();
    json doc{{"target", plan_.target},
             {"target_partitions", plan_.target_partitions},
             {"records", records_},
             {"first", ms(all.first)},
             {"last", ms(all.last)},
             {"span_ms", all.first < 0 ? json() : json(all.last - all.first)},
             {"duration_ms", all.secs > 0 ? json(static_cast<int64_t>(all.secs * 1000)) : json()},
             {"sources", std::move(sources)}};
    return doc.dump() + "\n";
}

}  // namespace kpipe
