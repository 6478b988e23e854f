// The offsets grammar: --from LIST and --until LIST (split at the first newline), and
// -p/--partition lists. Never crashes; what parses resolves against any watermarks.
#include <cstdint>

#include "fuzz.hpp"
#include "offsets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto [from, until] = kpipe::fuzz::split(kpipe::fuzz::text(data, size));
    constexpr int64_t now = 1764000000123;
    if (auto plan = kpipe::parse_offset_plan(from, until, now)) {
        kpipe::PartitionMarks marks{.low = 5, .high = 1000, .time_offset = 42};
        for (int32_t p : {0, 1, 7}) {
            auto range = plan->for_partition(p);
            if (range.from) {
                (void)kpipe::resolve_start(*range.from, marks);
                (void)kpipe::describe(*range.from);
            }
            if (range.to) (void)kpipe::resolve_end(*range.to, marks);
        }
        (void)plan->bounded();
    }
    (void)kpipe::parse_partition_list(from);
    return 0;
}
