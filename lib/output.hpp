// The one way kpipe writes to stdout: a buffer over the file descriptor, written with
// write(2).
//
// A broken pipe is a clean stop reported to the caller (State::closed), never a signal.
// In exact mode (a pipe read by another process) flush() returns only once the reader
// has taken every byte out of the pipe, so "written" means "read by the next program":
// what consume commits for a group is then exactly what the reader got.
#pragma once
#include <cstdint>
#include <string>

#include "cancel.hpp"
#include "error.hpp"

namespace kpipe {

class Output {
public:
    enum class State { open, closed, interrupted };

    // `cancel` stops a blocked write or the wait for the reader (State::interrupted).
    explicit Output(int fd, size_t chunk = 256 * 1024, Cancel cancel = {});

    // Exact mode only makes sense on a pipe; ignored otherwise.
    void set_exact(bool on) { exact_ = on && is_pipe_; }

    // Records are appended here; flush() when should_flush() says so.
    std::string& buffer() { return buf_; }
    bool should_flush() const { return exact_ || buf_.size() >= chunk_; }
    // Appends `text` and flushes: for whole documents (tables, JSON).
    Result<State> write(std::string_view text) {
        buf_ += text;
        return flush();
    }
    // Writes the buffer (and in exact mode waits until the reader drained the pipe).
    // Ok(open) when every byte went out; Ok(closed) on a broken pipe (the reader went
    // away: bytes may be lost); Ok(interrupted) when a signal arrived while waiting.
    // An error for anything else (disk full, I/O error).
    Result<State> flush();
    State state() const { return state_; }
    // A pipe whose reader went away (e.g. `| head` finished) while nothing was being
    // written; becomes State::closed.
    bool reader_gone();
    // Total bytes that left through flush() so far.
    uint64_t written() const { return written_; }

private:
    Result<State> wait_drained();
    int fd_;
    size_t chunk_;
    Cancel cancel_;
    bool is_pipe_ = false;
    bool exact_ = false;
    State state_ = State::open;
    uint64_t written_ = 0;
    std::string buf_;
};

}  // namespace kpipe
