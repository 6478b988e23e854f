#include "dry_run.hpp"

#include <fmt/format.h>

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

std::string DryRunWriter::report() const {
    Table t({"SOURCE", "PARTITION", "RECORDS", "BYTES", "FIRST", "LAST", "TO PARTITION", "FILTERED", "BAD"});
    for (size_t c : {1, 2, 3, 7, 8}) t.right_align(c);
    int64_t first = -1, last = -1;
    for (const auto& [key, l] : lanes_) {
        std::string to;
        for (const auto& [p, n] : l.to)
            to += fmt::format("{}{}{}{}", to.empty() ? "" : ", ", p.first < 0 ? "any" : std::to_string(p.first),
                              p.second, l.to.size() > 1 ? fmt::format(" ({})", n) : "");
        auto when = [](int64_t ms) { return ms < 0 ? std::string("-") : format_iso_utc(ms); };
        t.add({places_.name(key.first), key.second < 0 ? "-" : std::to_string(key.second), std::to_string(l.records),
               std::to_string(l.bytes), when(l.first), when(l.last), to.empty() ? "-" : to, std::to_string(l.skipped),
               std::to_string(l.bad)});
        if (l.first >= 0 && (first < 0 || l.first < first)) first = l.first;
        last = std::max(last, l.last);
    }
    std::string out = t.render();
    out += fmt::format("\n{} record(s) to {} ({} partition(s)), nothing sent (dry run)\n", records_, plan_.target,
                       plan_.target_partitions);
    if (first >= 0)
        out += fmt::format("time span: {} to {} ({})\n", format_iso_utc(first), format_iso_utc(last),
                           format_duration(Millis(last - first)));
    double secs = 0;
    std::string how = "as fast as the brokers take them";
    if (plan_.speed > 0) {
        secs = static_cast<double>(pace_.scheduled().count()) / 1000.0 / plan_.speed;
        how = fmt::format("at {}x the records' pace{}", plan_.speed,
                          plan_.max_gap ? fmt::format(", gaps over {} shortened", format_duration(*plan_.max_gap)) : "");
    }
    if (plan_.rate > 0) {
        secs = std::max(secs, static_cast<double>(records_) / plan_.rate);
        std::string cap = fmt::format("at most {} records/s", plan_.rate);
        how = plan_.speed > 0 ? how + ", " + cap : cap;
    }
    out += fmt::format("duration: {} ({})\n", secs > 0 ? format_duration(Millis(static_cast<int64_t>(secs * 1000))) : "-", how);
    return out;
}

}  // namespace kpipe
