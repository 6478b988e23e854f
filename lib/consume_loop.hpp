// The read loop shared by consume and tail: resolve topics and partitions, pick start
// and end offsets, read, write through a RecordSink into an Output, and stop on -e,
// --until, -n, --idle, a broken pipe or a signal. With a group, offsets are stored only
// for records that left through the Output, and committed on revoke and at the end.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "duration.hpp"
#include "error.hpp"
#include "formats.hpp"
#include "kafka/client.hpp"
#include "offsets.hpp"
#include "output.hpp"
#include "settings.hpp"

namespace kpipe {

struct ConsumeRequest {
    std::vector<std::string> topics;  // names, or regexes starting with '^'
    std::optional<std::string> group;
    bool commit = true;
    OffsetPlan plan;
    bool from_given = false;  // --from said where to start (else default_start / the group's offsets)
    OffsetSpec default_start{OffsetSpec::Kind::beginning, 0};
    std::vector<int32_t> partitions;  // empty: all
    int64_t count = -1;               // stop after this many records written; -1: no limit
    bool exit_at_end = false;
    std::optional<Millis> idle;
    bool wait_for_topic = false;
    kafka::Properties consumer_defaults;  // prefetch caps and the like
};

struct ConsumeOutcome {
    Exit exit = Exit::ok;
    uint64_t records = 0;  // written
};

// The default librdkafka properties that keep a consumer's memory bounded.
kafka::Properties bounded_prefetch();

Result<ConsumeOutcome> consume(const Settings& settings, const ConsumeRequest& request, RecordSink& sink,
                               Output& out);

}  // namespace kpipe
