// Steps that change records on their way (replay): their timestamps, their headers.
#pragma once
#include <string>
#include <vector>

#include "pipeline.hpp"

namespace kpipe {

enum class TimestampRule {
    keep,   // the record's own
    now,    // the time of sending (the writer leaves the record's own out: see TopicWriterOptions)
    shift,  // the first record gets the time of sending; the gaps between records are kept
};

// --timestamp shift. Records keep their gaps, so a pacer after it keeps its schedule.
class ShiftTimestamps : public Step {
public:
    Result<bool> apply(Item& item) override;

private:
    bool started_ = false;
    int64_t shift_ = 0;
};

// Adds headers naming where each record came from: kpipe.source.topic (or
// kpipe.source.file), kpipe.source.partition and kpipe.source.offset (or .line).
class OriginHeaders : public Step {
public:
    explicit OriginHeaders(const Places& places) : places_(places) {}
    Result<bool> apply(Item& item) override;

private:
    const Places& places_;
    std::string partition_, at_;
};

}  // namespace kpipe
