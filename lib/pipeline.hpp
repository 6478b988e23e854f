// The shape of every command: a Source of records, optional Steps, and a Writer, driven
// by one pump (pump.hpp).
//
//   source                     steps               writer
//   lines (line_source)   ─┐                     ┌─ stdout (stdout_writer: printers, tail view)
//   topic (topic_source)  ─┴─▶ where (where) ──▶─┴─ topic (topic_writer: delivery tracker)
//
// A record travels as an Item with its Position. The writer says when a record is done
// (its bytes left stdout; the broker acknowledged it) and only then does the source
// store its offset.
#pragma once
#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "position.hpp"
#include "record.hpp"

namespace kpipe {

struct Item {
    RecordView record;  // valid until the next pull
    Position pos;
    // Non-empty: input that made no record, and why. record.value then holds the input
    // bytes worth keeping (or nullopt).
    std::string_view bad;
    // The record as an envelope line, when a step already wrote one (writers reuse it).
    std::string_view envelope;
};

enum class Pull {
    item,     // `out` holds the next item
    idle,     // nothing within the wait
    end,      // no more items
    barrier,  // finish every item pulled so far before pulling again (a group rebalance)
};

// One ordered stream within a source: a file, or a topic partition.
struct Lane {
    uint32_t place = 0;
    int32_t partition = -1;
    bool done = false;  // yields nothing more
};

class Source {
public:
    virtual ~Source() = default;
    // The next item, waiting up to `wait_ms` for one.
    virtual Result<Pull> pull(Item& out, int wait_ms) = 0;
    // Whether it wants done() calls (to store offsets, to checkpoint).
    virtual bool wants_done() const { return false; }
    // An item pulled earlier is finished: written, acknowledged, filtered out or reported.
    // Called in pull order within each partition.
    virtual void done(const Position& p) { (void)p; }
    // Finished too, but not delivered (it failed, or the run stopped before it was sent):
    // it could go again. By default like done().
    virtual void not_delivered(const Position& p) { done(p); }
    // About every 250 ms while running.
    virtual Result<void> tick() { return {}; }
    // After the writer finished: commit, leave the group, close.
    virtual Result<void> finish() { return {}; }
    // Has no end of its own (a topic followed live): Ctrl-C is then a normal stop.
    virtual bool endless() const { return false; }
    // Its ordered streams, for merging several by time; empty: one lane, done at the end.
    virtual std::vector<Lane> lanes() const { return {}; }
    // How much of its input it has read, 0 to 1, when its end is known (for an ETA).
    virtual std::optional<double> progress() const { return std::nullopt; }
};

class Step {
public:
    virtual ~Step() = default;
    // false: drop the item. An error: it could not be handled (reported with its position).
    virtual Result<bool> apply(Item& item) = 0;
    // A step with several outputs per item (--map): apply() gives the first (false: none),
    // then more() the next ones, each in `item`, until it returns false.
    virtual bool expands() const { return false; }
    virtual Result<bool> more(Item& item) {
        (void)item;
        return false;
    }
};

class Writer {
public:
    // closed: the reader went away (a clean stop); refused: the writer cannot go on (it
    // reported why: a record it could not take, a client that failed).
    enum class State { open, closed, interrupted, refused };

    virtual ~Writer() = default;
    // Told of finished items when the source wants it.
    void set_listener(Source* s) { listener_ = s; }

    virtual Result<State> write(const Item& item) = 0;
    // An item that is not written (filtered out): finished in order with the others.
    virtual void skip(const Item& item) = 0;
    // An item that could not become a record or could not be handled: report and keep it.
    virtual void reject(const Item& item, std::string_view reason) = 0;
    // Push out what is buffered; at a barrier (`all`) also wait until it is finished.
    virtual Result<State> flush(bool all) = 0;
    // Serve the writer's own events (acknowledgements) for up to `ms`; 0 returns at once.
    virtual void wait(int ms) = 0;
    // About every 250 ms: progress, reports.
    virtual void tick() {}
    // The reader of the output went away while nothing was written.
    virtual bool gone() { return false; }
    // The end: finish what is outstanding (interrupted: as far as the timeout allows).
    // `failed` counts records not delivered; errors are returned for the run's outcome.
    struct End {
        uint64_t failed = 0;
        Result<void> fatal = {};  // the client could not go on
        Result<void> after = {};  // a problem once records were handled (e.g. keeping failures)
    };
    virtual End finish(bool interrupted) = 0;

protected:
    void done(const Position& p) {
        if (listener_) listener_->done(p);
    }
    void not_delivered(const Position& p) {
        if (listener_) listener_->not_delivered(p);
    }
    bool listening() const { return listener_ != nullptr; }

private:
    Source* listener_ = nullptr;
};

// When to write the next item (rate limits, replay at the records' pace).
class Pacer {
public:
    using time_point = std::chrono::steady_clock::time_point;
    virtual ~Pacer() = default;
    virtual time_point due(const Item& item, time_point now) = 0;
};

// The pump's time; faked in unit tests (waiting happens in Writer::wait).
class Clock {
public:
    using time_point = std::chrono::steady_clock::time_point;
    virtual ~Clock() = default;
    virtual time_point now() const { return std::chrono::steady_clock::now(); }
};

}  // namespace kpipe
