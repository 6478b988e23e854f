// Rewinding a consumer group (replay --group): the committed offsets a group would get
// from an offsets spec (times, -N, beginning...), and setting them. Kafka lets offsets
// change only while the group has no active member, and so does kpipe.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "kafka/client.hpp"
#include "offsets.hpp"

namespace kpipe {

struct RewindRow {
    TopicPartition tp;
    std::optional<int64_t> current;  // committed now; nullopt: none
    int64_t target = 0;              // the new committed offset
    int64_t low = 0, high = 0;       // the partition's watermarks
    // Records the group will read again (negative: records it will skip); relative to
    // the log start when nothing was committed.
    int64_t reread() const { return (current ? *current : low) - target; }
};

struct RewindPlan {
    std::string group;
    std::vector<RewindRow> rows;
    std::vector<std::string> members;  // active members (client id and host)
};

// The partitions the group committed (only `topic`'s when given, and all of its
// partitions then), only those in `partitions` when not empty, and only those the plan
// names when it has no default (`--from 0=100` leaves the other partitions as they are).
// A range (FROM:TO) or `stored` is a usage error.
Result<RewindPlan> plan_rewind(kafka::Client& admin, const std::string& group, const std::string& topic,
                               const std::vector<int32_t>& partitions, const OffsetPlan& plan);
// Sets the plan's offsets; refused (exit 1, naming them) while the group has members.
Result<void> apply_rewind(kafka::Client& admin, const RewindPlan& plan);

enum class RewindDone { shown, applied, refused };
std::string rewind_table(const RewindPlan& plan, RewindDone done);
std::string rewind_json(const RewindPlan& plan, RewindDone done);

}  // namespace kpipe
