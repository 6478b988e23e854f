// Pacers: when the pump writes the next item.
#pragma once
#include <cstdint>

#include "pipeline.hpp"

namespace kpipe {

// At most `rate` records per second, on average since the first.
class RatePacer : public Pacer {
public:
    explicit RatePacer(double rate) : rate_(rate) {}
    time_point due(const Item& item, time_point now) override;

private:
    double rate_;
    uint64_t sent_ = 0;
    time_point start_{};
};

}  // namespace kpipe
