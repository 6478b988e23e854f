// The one loop every command runs: pull from the source, run the steps, pace, write, let
// both sides serve their events, tick progress, honour cancellation; then finish the
// writer and the source and say how the run ended.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "cancel.hpp"
#include "duration.hpp"
#include "pipeline.hpp"

namespace kpipe {

enum class OnError { fail, skip };

struct RunStats {
    uint64_t pulled = 0;   // items from the source (bad input included)
    uint64_t written = 0;  // records handed to the writer
    uint64_t dropped = 0;  // filtered out by a step
    uint64_t bad = 0;      // bad input, and records a step could not handle
};

struct PumpOptions {
    int64_t limit = -1;          // stop after this many records written; -1: no limit
    std::optional<Millis> idle;  // stop after this long without an item
    OnError on_error = OnError::fail;
    Pacer* pacer = nullptr;
    const Clock* clock = nullptr;  // nullptr: the steady clock
    Cancel cancel;
    std::function<void(const RunStats&)> on_tick;  // about every 250 ms, and once at the end
};

enum class Stop {
    end,          // the source had no more
    limit,        // PumpOptions::limit reached
    idle,         // PumpOptions::idle passed without an item
    closed,       // the writer's reader went away (a broken pipe)
    interrupted,  // cancelled
    bad_input,    // bad input or a failing step, with OnError::fail
    refused,      // the writer could not go on
    error,        // the source failed (Outcome::error says why)
};

struct Outcome {
    Stop stop = Stop::end;
    RunStats stats;
    uint64_t failed = 0;          // records the writer could not deliver
    bool endless = false;         // the source has no end of its own
    std::optional<Error> error;   // what stopped or broke the run
    std::optional<Error> after;   // a problem once the records were handled
};

Outcome pump(Source& source, std::span<Step* const> steps, Writer& writer, const PumpOptions& options);

// The exit code of a run, by one precedence:
//   1. interrupted before a source with an end was exhausted    130
//   2. an error that stopped or broke the run                   its code (4, 5, 1...)
//   3. records not delivered, bad input, failing steps          3
//   4. a problem once the records were handled (keeping them)   its code
//   5. otherwise (also a broken pipe, Ctrl-C of an endless run) 0
Exit exit_code(const Outcome& o);

}  // namespace kpipe
