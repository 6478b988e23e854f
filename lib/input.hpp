// Streaming line input over files and stdin: large read(2) buffers, no allocation per
// line, the file name and line number of every line. Memory stays bounded: a line longer
// than `max_line` is reported as too long (with its length) and skipped.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cancel.hpp"
#include "decompress.hpp"
#include "error.hpp"

namespace kpipe {

struct Line {
    std::string_view bytes;   // without its '\n'; valid until the next call to next()
    size_t source = 0;        // index into LineReader::sources()
    uint64_t number = 0;      // 1-based line number within its source
    bool too_long = false;    // longer than max_line: `bytes` is empty, the line was skipped
    uint64_t length = 0;      // full length of the line (== bytes.size() unless too_long)
};

// idle: input would block (reported at once), or no input arrived within the reader's
// idle time since the last report (a slow pipe); call next() again.
enum class ReadStatus { line, end, interrupted, idle };

class LineReader {
public:
    static constexpr size_t default_buffer = 1 << 20;
    static constexpr size_t default_max_line = 64 << 20;

    // "-" is stdin; no paths means stdin. Files named *.gz or *.zst are decompressed.
    // `idle_ms` > 0: next() returns `idle` as soon as input would block, then after each
    // `idle_ms` without input. `cancel` stops waits for input.
    explicit LineReader(std::vector<std::string> paths, size_t buffer_size = default_buffer,
                        size_t max_line = default_max_line, int idle_ms = 0, Cancel cancel = {});
    ~LineReader();
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    // Opens every file now (stdin excepted) so a missing one fails before any work.
    // Cancelled while waiting to open one (a FIFO waits for a writer): exit 130 naming it.
    Result<void> open_all();

    // The next line; `interrupted` when cancelled while waiting for input; errors (exit 1)
    // name the file.
    Result<ReadStatus> next(Line& out);

    // "<stdin>" for stdin, else the path as given.
    const std::string& name(size_t source) const { return names_[source]; }
    size_t sources() const { return names_.size(); }
    // Bytes read so far, newlines included.
    uint64_t bytes_read() const { return bytes_read_; }

private:
    Result<ReadStatus> fill();  // `end` at the end of the current source
    void close_current();

    std::vector<std::string> paths_;
    std::vector<std::string> names_;
    std::vector<int> fds_;
    std::vector<std::unique_ptr<Decompressor>> decompress_;  // per source, for .gz and .zst files
    size_t current_ = 0;
    std::string buf_;
    size_t begin_ = 0;  // first unconsumed byte
    size_t end_ = 0;    // one past the last byte read
    size_t max_line_;
    int idle_ms_;
    Cancel cancel_;
    uint64_t line_no_ = 0;
    uint64_t bytes_read_ = 0;
    bool eof_ = false;       // current source exhausted
    bool waiting_ = false;   // `idle` was reported and no input came since
    bool skipping_ = false;  // inside the tail of a too-long line
    uint64_t skipped_ = 0;   // bytes of that line dropped so far
};

}  // namespace kpipe
