#include "pacers.hpp"

namespace kpipe {

Pacer::time_point RatePacer::due(const Item& item, time_point now) {
    (void)item;
    if (sent_++ == 0) start_ = now;
    return start_ + std::chrono::duration_cast<time_point::duration>(
                        std::chrono::duration<double>(static_cast<double>(sent_ - 1) / rate_));
}

}  // namespace kpipe
