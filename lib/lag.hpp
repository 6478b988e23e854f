// Consumer-group lag arithmetic, free of Kafka: lag from committed and end offsets,
// totals per topic and group, rates between samples, time to catch up, CI thresholds,
// and a status over a window of samples after Burrow's rules.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kpipe::lag {

using Key = std::pair<std::string, int32_t>;  // topic, partition

struct Owner {
    std::string client_id;
    std::string host;
    bool operator==(const Owner&) const = default;
};

struct PartitionLag {
    std::string topic;
    int32_t partition = 0;
    std::optional<int64_t> committed;    // none: the group has no committed offset here
    int64_t end = 0;                     // log end offset (high watermark)
    std::optional<int64_t> time_lag_ms;  // age of the record at the committed offset; 0 when caught up
    std::optional<Owner> owner;          // the member the partition is assigned to

    // end - committed, never below zero; none without a committed offset.
    std::optional<int64_t> lag() const;
};

struct Group {
    std::string name;
    std::string state;  // Stable, Empty, PreparingRebalance, ...
    size_t members = 0;
    std::vector<PartitionLag> partitions;  // sorted by topic, then partition
};

// What the broker said about one group, before the end offsets are known.
struct GroupInput {
    std::string name;
    std::string state;
    size_t members = 0;
    std::map<Key, int64_t> committed;
    std::map<Key, Owner> owners;
};

// Topics the group has committed offsets on or partitions assigned in, limited to `only`
// when given; topics missing from `partition_counts` (deleted) are left out.
std::vector<std::string> topics_of(const GroupInput& in, const std::map<std::string, int32_t>& partition_counts,
                                   const std::optional<std::string>& only);

// Every partition of every topic of the group, with committed offset (or none), end
// offset and owner. `ends` must hold each of those partitions.
Group assemble(const GroupInput& in, const std::vector<std::string>& topics,
               const std::map<std::string, int32_t>& partition_counts, const std::map<Key, int64_t>& ends);

// Time lag of a partition: 0 when caught up (or nothing readable remains), now minus the
// record's timestamp (never below zero) when one was read, none when unknown.
std::optional<int64_t> time_lag_ms(std::optional<int64_t> lag, std::optional<int64_t> record_timestamp_ms,
                                   bool nothing_to_read, int64_t now_ms);

struct Totals {
    int64_t lag = 0;                     // over partitions with a committed offset
    std::optional<int64_t> time_lag_ms;  // the largest known
    size_t partitions = 0;
    size_t uncommitted = 0;  // partitions without a committed offset
};

// Totals of the group's partitions, of all topics or of one.
Totals totals(const Group& g, const std::optional<std::string>& topic = std::nullopt);
std::vector<std::string> topic_names(const Group& g);  // in order, without repeats

struct Rates {
    std::optional<double> consume_per_s;  // committed offsets advanced, records/s
    std::optional<double> produce_per_s;  // end offsets advanced, records/s
    std::optional<int64_t> catch_up_ms;   // 0 when no lag; none when not catching up
};

// Rates between two samples of the same group (of all topics or one); none for a zero
// or negative interval. Partitions present in both samples count; offsets moving
// backwards (reset, topic re-created) count as no progress.
Rates rates(const Group& older, int64_t older_ms, const Group& newer, int64_t newer_ms,
            const std::optional<std::string>& topic = std::nullopt);

// Estimated time to clear `lag` at these rates: 0 without lag, none when not gaining.
std::optional<int64_t> catch_up_ms(int64_t lag, double consume_per_s, double produce_per_s);

enum class Status { ok, warn, stall, stop };
const char* status_name(Status s);  // OK, WARN, STALL, STOP

struct Verdict {
    Status status = Status::ok;
    std::string reason;
};

struct Sample {
    int64_t at_ms = 0;
    Group group;
};

// Status of one group over a window of its samples (oldest first, at least one).
// Partitions that reached zero lag somewhere in the window count as caught up; of the
// others ("lagging"), the first rule that holds wins:
//   STOP   no member, and no lagging partition's committed offset moved in the window;
//   STALL  the group has members and a lagging partition's committed offset did not move;
//   WARN   on a lagging partition the lag never fell and ended higher than it started;
//   OK     otherwise (including no lagging partition at all).
// STALL and WARN need `min_samples` samples (two at least); until then the reason says so.
Verdict evaluate(const std::vector<Sample>& window, size_t min_samples = 2);

struct Limits {
    std::optional<int64_t> max_lag;
    std::optional<int64_t> max_time_lag_ms;
};
// A partition above a threshold.
struct Offence {
    std::string where;  // "group 'g' topic 't' partition 3"
    bool time = false;  // the time lag (ms) is above max_time_lag_ms, else the lag above max_lag
    int64_t value = 0;
    int64_t limit = 0;
};
std::vector<Offence> offenders(const std::vector<Group>& groups, const Limits& limits);
// Lagging partitions whose time lag is unknown while a time threshold is set.
std::vector<std::string> unverified(const std::vector<Group>& groups, const Limits& limits);

}  // namespace kpipe::lag
