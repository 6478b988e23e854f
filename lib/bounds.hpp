// Concrete offsets for an offsets plan (offsets.hpp), asked of the cluster: where to start
// and stop reading each partition.
#pragma once
#include <optional>
#include <vector>

#include "kafka/client.hpp"
#include "offsets.hpp"

namespace kpipe {

// Where to read one partition, in concrete offsets.
struct Bounds {
    std::optional<int64_t> start;  // nullopt: the group's committed offset
    std::optional<int64_t> end;    // exclusive; nullopt: none
    int64_t low = 0;
    int64_t high = 0;  // high watermark (last stable offset under read_committed) when resolved
};

// Resolves the plan for these partitions with one watermarks query and, when @TIME is
// used, one offsets-for-times query per distinct time.
Result<std::vector<Bounds>> resolve_plan(kafka::Client& client, const OffsetPlan& plan,
                                         const std::vector<TopicPartition>& tps,
                                         const OffsetSpec& default_start);

}  // namespace kpipe
