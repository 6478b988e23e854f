// replay --dry-run: a Writer that sends nothing and tells what would be sent: records
// per source and partition, their time span, where they would go in the target, and how
// long the replay would take at the chosen pace.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "pacers.hpp"
#include "pipeline.hpp"

namespace kpipe {

struct DryRunPlan {
    std::string target;
    int32_t target_partitions = 0;
    std::optional<int32_t> partition;  // every record to this partition
    bool keep_partition = true;        // else by key
    double speed = 0;                  // the records' pace times this; 0: as fast as possible
    std::optional<Millis> max_gap;
    double rate = 0;                   // records/s cap; 0: none
};

class DryRunWriter : public Writer {
public:
    DryRunWriter(const Places& places, DryRunPlan plan) : places_(places), plan_(std::move(plan)), pace_(1.0, plan_.max_gap) {}
    Result<State> write(const Item& item) override;
    void skip(const Item& item) override;
    void reject(const Item& item, std::string_view reason) override;
    Result<State> flush(bool) override { return State::open; }
    void wait(int) override {}
    End finish(bool) override { return {}; }
    // The report, one table and a few lines.
    std::string report() const;

private:
    struct Lane {
        uint64_t records = 0, bytes = 0, skipped = 0, bad = 0;
        int64_t first = -1, last = -1;
        std::map<std::string, uint64_t> to;  // target partition ("by key") -> records
    };
    Lane& lane(const Position& p) { return lanes_[{p.place, p.partition}]; }
    const Places& places_;
    DryRunPlan plan_;
    TimestampPacer pace_;  // at factor 1 over a still clock: the records' own span, gaps capped
    std::map<std::pair<uint32_t, int32_t>, Lane> lanes_;
    uint64_t records_ = 0;
};

}  // namespace kpipe
