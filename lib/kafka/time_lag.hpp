// How old is the record at a committed offset? A group-less consumer reads the first
// record at or after each offset (compaction and transaction markers may hide the exact
// one), all partitions at once, bounded in time, stopping each partition once answered.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "duration.hpp"
#include "kafka/groups.hpp"
#include "settings.hpp"

namespace kpipe::kafka {

struct RecordTime {
    std::optional<int64_t> timestamp_ms;  // of the first record at or after the offset
    bool nothing_to_read = false;         // the partition ended first (only markers or aborted records)
};

// One answer per position, in order; whatever has not arrived within `budget` stays
// unknown. Positions on the same partition (groups at different offsets) are read in
// successive rounds, spread over a few handles reading side by side.
Result<std::vector<RecordTime>> read_record_times(const Settings& settings, const std::vector<Committed>& at,
                                                  Millis budget);

}  // namespace kpipe::kafka
