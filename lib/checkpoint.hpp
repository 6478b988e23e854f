// A replay's checkpoint: how far each source has been finished (acknowledged, or reported
// failed and kept), so that a replay stopped by Ctrl-C, a crash or kill -9 and run again
// with the same arguments goes on after it. The file is written atomically (a temporary
// file renamed over it) at most every 100 ms while records are finished, and at the end;
// what was acknowledged in the last 100 ms before a crash, and what was in flight, may
// be sent again.
//
//   {"kpipe_checkpoint": 1, "replay": "topic:A events.jsonl -> B",
//    "lines": {"events.jsonl": 1200}, "offsets": [{"topic": "A", "partition": 0, "next": 5000}]}
#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "pipeline.hpp"

namespace kpipe {

struct CheckpointState {
    std::string replay;                         // what the checkpoint is of (sources and target)
    std::map<std::string, uint64_t> lines;      // per input file: the last line finished
    std::map<TopicPartition, int64_t> offsets;  // per topic partition: the next offset to read
};

// The checkpoint in `path`; an empty state when the file does not exist. A checkpoint of
// another replay (`replay` differs) or an unreadable one is a usage error naming the file.
Result<CheckpointState> load_checkpoint(const std::string& path, const std::string& replay);

// Passes everything through to `inner` and records what the writer finishes.
class CheckpointSource : public Source {
public:
    CheckpointSource(Source& inner, const Places& places, std::string path, CheckpointState state);
    Result<Pull> pull(Item& out, int wait_ms) override { return inner_.pull(out, wait_ms); }
    bool wants_done() const override { return true; }
    void done(const Position& p) override;
    Result<void> tick() override;
    Result<void> finish() override;
    bool endless() const override { return inner_.endless(); }
    std::vector<Lane> lanes() const override { return inner_.lanes(); }

private:
    Result<void> save();
    Source& inner_;
    const Places& places_;
    std::string path_;
    CheckpointState state_;
    bool dirty_ = false;
    uint32_t since_check_ = 0;
    std::chrono::steady_clock::time_point saved_{};
};

}  // namespace kpipe
