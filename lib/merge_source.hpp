// Several sources as one, merged in timestamp order. Each source's lanes (a file; a topic
// partition) are ordered streams; the merge keeps the next records of every lane and hands
// out the oldest, so a lane is waited for until it has a record or is done. Records
// without a timestamp go first; equal timestamps go in the order the sources were given.
// Within a lane nothing is reordered: bad input waits its turn like a record, so that
// what came before it is still sent when it stops the run. Waiting is bounded: past
// `max_buffered` bytes held, the oldest record held goes out anyway (the order is then
// approximate, and said once).
#pragma once
#include <deque>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "pipeline.hpp"

namespace kpipe {

class MergeSource : public Source {
public:
    explicit MergeSource(std::vector<std::unique_ptr<Source>> sources, size_t max_buffered = 64 << 20);
    Result<Pull> pull(Item& out, int wait_ms) override;
    bool wants_done() const override;
    void done(const Position& p) override;
    void not_delivered(const Position& p) override;
    Result<void> tick() override;
    Result<void> finish() override;
    bool endless() const override;
    std::vector<Lane> lanes() const override;
    std::optional<double> progress() const override;

private:
    // An item held, in one allocation: `bytes` starts with the count of fields and their
    // lengths (int32, -1 for null), then the fields: topic, key, value, and per header its
    // name and value.
    struct Held {
        Position pos;
        int64_t timestamp = -1;
        int64_t offset = -1;
        int32_t partition = -1;
        TimestampType timestamp_type = TimestampType::none;
        std::string bytes;
        std::string bad;  // bad input: why
        std::optional<SchemaTag> key_schema, value_schema;  // envelope lines decoded from a registry
        size_t size() const { return 96 + bytes.size() + bad.size(); }
    };
    struct LaneQueue {
        size_t source = 0;
        Lane lane;
        std::deque<Held> held;
    };
    static Held hold(const Item& item);
    LaneQueue& lane_of(size_t source, int32_t partition, uint32_t place);
    Source* source_of(const Position& p);
    void refresh(size_t source);
    bool blocking(size_t source) const;
    LaneQueue* oldest();
    void hand_out(LaneQueue& q, Item& out);

    std::vector<std::unique_ptr<Source>> sources_;
    std::vector<bool> ended_;
    std::vector<LaneQueue> lanes_;  // in the order of the sources
    size_t next_ = 0;               // round robin among the sources to pull from
    size_t buffered_ = 0;
    size_t max_buffered_;
    bool warned_ = false;
    Held current_;  // what the last item points into
};

}  // namespace kpipe
