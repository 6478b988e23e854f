#include "pacers.hpp"

#include <algorithm>

namespace kpipe {

Pacer::time_point RatePacer::due(const Item& item, time_point now) {
    (void)item;
    if (sent_++ == 0) start_ = now;
    return start_ + std::chrono::duration_cast<time_point::duration>(
                        std::chrono::duration<double>(static_cast<double>(sent_ - 1) / rate_));
}

Pacer::time_point TimestampPacer::due(const Item& item, time_point now) {
    int64_t ts = item.record.timestamp;
    if (!started_) {
        started_ = true;
        start_ = now;
    }
    if (ts >= 0) {
        if (last_ts_ >= 0 && ts > last_ts_) {
            int64_t gap = ts - last_ts_;
            if (max_gap_) gap = std::min<int64_t>(gap, max_gap_->count());
            span_ms_ += gap;
        }
        last_ts_ = std::max(last_ts_, ts);
    }
    auto at = start_ + std::chrono::duration_cast<time_point::duration>(
                           std::chrono::duration<double, std::milli>(static_cast<double>(span_ms_) / factor_));
    behind_ = now > at ? std::chrono::duration_cast<Millis>(now - at) : Millis(0);
    most_behind_ = std::max(most_behind_, behind_);
    return at;
}

Millis TimestampPacer::scheduled() const {
    return Millis(static_cast<int64_t>(static_cast<double>(span_ms_) / factor_));
}

}  // namespace kpipe
