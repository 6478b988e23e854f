#include "bounds.hpp"

#include <map>
#include <set>

#include "kafka/admin.hpp"

namespace kpipe {

Result<std::vector<Bounds>> resolve_plan(kafka::Client& client, const OffsetPlan& plan,
                                         const std::vector<TopicPartition>& tps,
                                         const OffsetSpec& default_start) {
    std::vector<Bounds> out(tps.size());
    if (tps.empty()) return out;
    auto marks = kafka::watermarks(client, tps);
    if (!marks) return std::unexpected(marks.error());
    std::vector<OffsetRange> ranges;
    std::set<int64_t> times;
    for (const auto& tp : tps) {
        OffsetRange r = plan.for_partition(tp.partition);
        if (!r.from) r.from = default_start;
        for (const auto& s : {r.from, r.to})
            if (s && s->kind == OffsetSpec::Kind::time) times.insert(s->value);
        ranges.push_back(r);
    }
    std::map<int64_t, std::vector<int64_t>> at_time;
    for (int64_t t : times) {
        auto offs = kafka::offsets_for_times(client, tps, std::vector<int64_t>(tps.size(), t));
        if (!offs) return std::unexpected(offs.error());
        at_time[t] = std::move(*offs);
    }
    for (size_t i = 0; i < tps.size(); ++i) {
        const auto& w = (*marks)[i];
        auto marks_for = [&](const std::optional<OffsetSpec>& s) {
            PartitionMarks pm{std::max<int64_t>(0, w.low), std::max<int64_t>(0, w.high), -1};
            if (s && s->kind == OffsetSpec::Kind::time) pm.time_offset = at_time[s->value][i];
            return pm;
        };
        out[i].low = std::max<int64_t>(0, w.low);
        out[i].high = std::max<int64_t>(0, w.high);
        out[i].start = resolve_start(*ranges[i].from, marks_for(ranges[i].from));
        if (ranges[i].to) out[i].end = resolve_end(*ranges[i].to, marks_for(ranges[i].to));
    }
    return out;
}

}  // namespace kpipe
