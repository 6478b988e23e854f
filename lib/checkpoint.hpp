// A replay's checkpoint: how far each source has been finished (acknowledged, or reported
// failed and kept), so that a replay stopped by Ctrl-C, a crash or kill -9 and run again
// with the same arguments goes on after it. The file is written atomically (a temporary
// file renamed over it) when the replay starts, at most every 100 ms while records are
// finished, and at the end; what was acknowledged in the last 100 ms before a crash, and
// what was in flight, may be sent again. A record that was not delivered holds its source
// (file, partition) there: a run again sends it and what followed it. A topic's window (where each partition ends) is
// kept from the first run, so that a resumed `--until @-1h` or a read to the end means
// the same records as it did then.
//
//   {"kpipe_checkpoint": 1, "replay": "topic:A events.jsonl --until @-1h -> B",
//    "lines": {"events.jsonl": 1200},
//    "offsets": [{"topic": "A", "partition": 0, "next": 5000, "end": 9000}]}
#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "pipeline.hpp"

namespace kpipe {

struct CheckpointState {
    std::string replay;                         // what the checkpoint is of (sources and target)
    std::map<std::string, uint64_t> lines;      // per input file: the last line finished
    std::map<TopicPartition, int64_t> offsets;  // per topic partition: the next offset to read
    std::map<TopicPartition, int64_t> ends;     // and where it ends (exclusive)
};

// The checkpoint in `path`; an empty state when the file does not exist. A checkpoint of
// another replay (`replay` differs) or an unreadable one is a usage error naming the file.
Result<CheckpointState> load_checkpoint(const std::string& path, const std::string& replay);

// Passes everything through to `inner` and records what the writer finishes.
class CheckpointSource : public Source {
public:
    // `state`: as loaded, with the window of every topic partition read (its start as the
    // next offset where nothing was finished yet).
    CheckpointSource(Source& inner, const Places& places, std::string path, CheckpointState state);
    // Writes the checkpoint now (the window, before any record is sent).
    Result<void> save();
    Result<Pull> pull(Item& out, int wait_ms) override { return inner_.pull(out, wait_ms); }
    bool wants_done() const override { return true; }
    void done(const Position& p) override;
    void not_delivered(const Position& p) override;
    Result<void> tick() override;
    Result<void> finish() override;
    bool endless() const override { return inner_.endless(); }
    std::vector<Lane> lanes() const override { return inner_.lanes(); }
    std::optional<double> progress() const override { return inner_.progress(); }

private:
    void save_if_due();
    Source& inner_;
    const Places& places_;
    std::string path_;
    CheckpointState state_;
    std::set<std::pair<uint32_t, int32_t>> held_;  // places (and partitions) held at a failure
    bool dirty_ = false;
    uint32_t since_check_ = 0;
    std::chrono::steady_clock::time_point saved_{};
    std::optional<Error> error_;  // a save that failed between ticks
};

}  // namespace kpipe
