// The offsets grammar shared by consume, tail and replay:
//
//   SPEC  := beginning | end | stored | N | +N | -N | @TIME
//   RANGE := SPEC | FROM:TO | FROM: | :TO        (TO exclusive)
//   LIST  := RANGE | P=RANGE[,P=RANGE...] | RANGE,P=RANGE...   (a bare RANGE is the default)
//
// +N is N after the start of the log (low watermark + N), -N is N before its end (high
// watermark - N), @TIME is epoch ms, ISO-8601 or a duration ago (@-1h, @-15m).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "record.hpp"

namespace kpipe {

struct OffsetSpec {
    enum class Kind { beginning, end, stored, absolute, from_start, from_end, time };
    Kind kind = Kind::beginning;
    int64_t value = 0;  // absolute offset, N of +N / -N, or epoch ms of @TIME
    bool operator==(const OffsetSpec&) const = default;
};

struct OffsetRange {
    std::optional<OffsetSpec> from;  // nullopt: the command's default start
    std::optional<OffsetSpec> to;    // nullopt: no end
    bool operator==(const OffsetRange&) const = default;
};

// What --from (and --until) said, for every partition and for named ones.
struct OffsetPlan {
    OffsetRange all;
    std::map<int32_t, OffsetRange> partitions;
    OffsetRange for_partition(int32_t p) const;
    bool any_stored() const;
    bool bounded() const;  // every partition has an end (the default range has one)
    // Every one of these partitions has an end (its own or the default's); false for none.
    bool bounded(const std::vector<int32_t>& partitions) const;
};

// One SPEC. `now_ms` anchors durations (@-1h). Errors (exit 2) name the bad part.
Result<OffsetSpec> parse_offset_spec(std::string_view text, int64_t now_ms);
// One RANGE (SPEC or FROM:TO).
Result<OffsetRange> parse_offset_range(std::string_view text, int64_t now_ms);
// How errors name the two lists (the options they came from).
struct PlanNames {
    std::string_view from = "start";
    std::string_view until = "end";
};
// A start LIST and an end LIST (either may be empty: not given).
Result<OffsetPlan> parse_offset_plan(std::string_view from, std::string_view until, int64_t now_ms,
                                     PlanNames names = {});

// -p/--partition LIST: "0,2,5-7".
Result<std::vector<int32_t>> parse_partition_list(std::string_view text);

std::string describe(const OffsetSpec& s);

// Concrete offsets from a spec, given the partition's watermarks and, for @TIME, the
// offset the broker returned for that time (-1: no record at or after it).
struct PartitionMarks {
    int64_t low = 0;
    int64_t high = 0;
    int64_t time_offset = -1;
};
// A start offset; nullopt for `stored` (the group's committed offset).
std::optional<int64_t> resolve_start(const OffsetSpec& s, const PartitionMarks& m);
// An exclusive end offset.
int64_t resolve_end(const OffsetSpec& s, const PartitionMarks& m);

}  // namespace kpipe
