// Steps that change records on their way (replay): their timestamps, their headers.
#pragma once
#include <string>
#include <vector>

#include "pipeline.hpp"

namespace kpipe {

enum class TimestampRule {
    keep,   // the record's own
    now,    // the time of sending
    shift,  // the first record gets the time of sending; the gaps between records are kept
};

class RewriteTimestamps : public Step {
public:
    explicit RewriteTimestamps(TimestampRule rule) : rule_(rule) {}
    Result<bool> apply(Item& item) override;

private:
    TimestampRule rule_;
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
