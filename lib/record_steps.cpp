#include "record_steps.hpp"

#include "timestamp.hpp"

namespace kpipe {

Result<bool> ShiftTimestamps::apply(Item& item) {
    int64_t& ts = item.record.timestamp;
    if (ts < 0) return true;
    if (!started_) {
        started_ = true;
        shift_ = now_ms() - ts;
    }
    ts = std::max<int64_t>(1, ts + shift_);
    return true;
}

Result<bool> OriginHeaders::apply(Item& item) {
    auto& h = item.record.headers;
    const std::string& name = places_.name(item.pos.place);
    at_ = std::to_string(item.pos.at);
    if (item.pos.is_line()) {
        h.push_back({"kpipe.source.file", name});
        h.push_back({"kpipe.source.line", at_});
        return true;
    }
    partition_ = std::to_string(item.pos.partition);
    h.push_back({"kpipe.source.topic", name});
    h.push_back({"kpipe.source.partition", partition_});
    h.push_back({"kpipe.source.offset", at_});
    return true;
}

}  // namespace kpipe
