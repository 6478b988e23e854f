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

// The partition Java's default partitioner (and kpipe's murmur2_random) gives a key:
// toPositive(murmur2(key)) % partitions (Kafka's Utils.murmur2).
int32_t key_partition(std::string_view key, int32_t partitions);

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
    // The report, one table and a few lines; or one JSON document (-o json):
    //   {"target", "target_partitions", "records", "first", "last", "span_ms", "duration_ms",
    //    "sources": [{"source", "partition", "records", "bytes", "first", "last", "filtered",
    //                 "bad", "to": [{"partition", "by_key", "records"}]}]}
    // (times in epoch ms, null when unknown; a "to" partition null: any, for a null key).
    std::string report() const;
    std::string report_json() const;

private:
    struct Lane {
        uint64_t records = 0, bytes = 0, skipped = 0, bad = 0;
        int64_t first = -1, last = -1;
        // target partition (-1: any, for a null key) and how ("", " by key") -> records
        std::map<std::pair<int32_t, std::string_view>, uint64_t> to;
    };
    Lane& lane(const Position& p) { return lanes_[{p.place, p.partition}]; }
    struct Totals {
        int64_t first = -1, last = -1;
        double secs = 0;  // at the chosen pace; 0: as fast as possible
        std::string how;
    };
    Totals totals() const;
    const Places& places_;
    DryRunPlan plan_;
    TimestampPacer pace_;  // at factor 1 over a still clock: the records' own span, gaps capped
    std::map<std::pair<uint32_t, int32_t>, Lane> lanes_;
    uint64_t records_ = 0;
};

}  // namespace kpipe
