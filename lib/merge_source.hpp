// Several sources as one, merged in timestamp order. Each source's lanes (a file; a topic
// partition) are ordered streams; the merge keeps the next record of every lane and hands
// out the oldest, so a lane is waited for until it has a record or is done. Records
// without a timestamp go first. Waiting is bounded: past `max_buffered` bytes held, the
// oldest record held goes out anyway (the order is then approximate, and said once).
#pragma once
#include <deque>
#include <memory>
#include <vector>

#include "pipeline.hpp"

namespace kpipe {

class MergeSource : public Source {
public:
    explicit MergeSource(std::vector<std::unique_ptr<Source>> sources, size_t max_buffered = 64 << 20);
    Result<Pull> pull(Item& out, int wait_ms) override;
    bool wants_done() const override;
    void done(const Position& p) override;
    Result<void> tick() override;
    Result<void> finish() override;
    bool endless() const override;
    std::vector<Lane> lanes() const override;

private:
    struct Held {
        Record record;
        Position pos;
    };
    struct LaneQueue {
        size_t source = 0;
        Lane lane;
        std::deque<Held> held;
    };
    LaneQueue& lane_of(size_t source, int32_t partition, uint32_t place);
    void refresh(size_t source);
    void hand_out(LaneQueue& q, Item& out);

    std::vector<std::unique_ptr<Source>> sources_;
    std::vector<bool> ended_;
    std::vector<LaneQueue> lanes_;
    size_t next_ = 0;  // round robin among the sources to pull from
    size_t buffered_ = 0;
    size_t max_buffered_;
    bool warned_ = false;
    Held current_;  // what the last item points into
};

}  // namespace kpipe
