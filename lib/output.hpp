// A buffered sink over a file descriptor (stdout), written with write(2).
//
// A broken pipe is a clean stop reported to the caller (State::closed), never a signal.
// In exact mode (a pipe read by another process) flush() returns only once the reader
// has taken every byte out of the pipe, so "written" means "read by the next program":
// what consume commits for a group is then exactly what the reader got.
#pragma once
#include <cstdint>
#include <string>

#include "error.hpp"

namespace kpipe {

class Output {
public:
    enum class State { open, closed, interrupted };

    explicit Output(int fd, size_t chunk = 256 * 1024);

    bool is_pipe() const { return is_pipe_; }
    // Exact mode only makes sense on a pipe; ignored otherwise.
    void set_exact(bool on) { exact_ = on && is_pipe_; }
    bool exact() const { return exact_; }

    // Records are appended here; call maybe_flush() after each.
    std::string& buffer() { return buf_; }
    bool should_flush() const { return exact_ || buf_.size() >= chunk_; }
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
    bool is_pipe_ = false;
    bool exact_ = false;
    State state_ = State::open;
    uint64_t written_ = 0;
    std::string buf_;
};

}  // namespace kpipe
