#include "input.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>


namespace kpipe {

namespace {

bool is_stdin(const std::string& path) { return path == "-"; }

}  // namespace

LineReader::LineReader(std::vector<std::string> paths, size_t buffer_size, size_t max_line, int idle_ms,
                       Cancel cancel)
    : paths_(std::move(paths)), max_line_(std::max<size_t>(max_line, 1)), idle_ms_(idle_ms), cancel_(cancel) {
    if (paths_.empty()) paths_.push_back("-");
    for (const auto& p : paths_) names_.push_back(is_stdin(p) ? "<stdin>" : p);
    fds_.assign(paths_.size(), -1);
    decompress_.resize(paths_.size());
    buf_.resize(std::clamp<size_t>(buffer_size, 64, max_line_ + 1));
}

LineReader::~LineReader() {
    for (size_t i = current_; i < fds_.size(); ++i)
        if (fds_[i] > 0) ::close(fds_[i]);
}

Result<void> LineReader::open_all() {
    for (size_t i = 0; i < paths_.size(); ++i) {
        if (fds_[i] >= 0) continue;
        if (is_stdin(paths_[i])) {
            fds_[i] = 0;
            continue;
        }
        // Opening a FIFO waits for a writer; a signal ends the wait (EINTR, no SA_RESTART).
        int fd = -1;
        while ((fd = ::open(paths_[i].c_str(), O_RDONLY | O_CLOEXEC)) < 0 && errno == EINTR)
            if (cancel_.requested())
                return fail(Exit::interrupted, "{}: interrupted while waiting to open it (a FIFO opens when a writer comes)",
                            names_[i]);
        if (fd < 0) return fail(Exit::usage, "{}: {}", names_[i], std::strerror(errno));
        struct stat st {};
        if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            ::close(fd);
            return fail(Exit::usage, "{}: is a directory", names_[i]);
        }
        fds_[i] = fd;
        if (auto kind = Decompressor::for_path(paths_[i])) decompress_[i] = std::make_unique<Decompressor>(*kind);
    }
    return {};
}

void LineReader::close_current() {
    if (fds_[current_] > 0) ::close(fds_[current_]);
    fds_[current_] = -1;
    ++current_;
    line_no_ = 0;
    begin_ = end_ = 0;
    eof_ = false;
    skipping_ = false;
}

Result<ReadStatus> LineReader::fill() {
    if (fds_[current_] < 0) {
        if (auto r = open_all(); !r) return std::unexpected(r.error());
    }
    int fd = fds_[current_];
    for (;;) {
        if (cancel_.requested()) return ReadStatus::interrupted;
        if (idle_ms_ > 0) {
            // First say at once that input would block, so the caller can send what it
            // holds; then wait up to idle_ms between reports.
            struct pollfd pfd {fd, POLLIN, 0};
            int ready = ::poll(&pfd, 1, waiting_ ? idle_ms_ : 0);
            if (ready == 0) {
                waiting_ = true;
                return ReadStatus::idle;
            }
            if (ready < 0 && errno == EINTR) continue;
        }
        auto* unpack = decompress_[current_].get();
        ssize_t n = unpack ? unpack->read(fd, buf_.data() + end_, buf_.size() - end_)
                           : ::read(fd, buf_.data() + end_, buf_.size() - end_);
        if (n == -2) return fail(Exit::runtime, "{}: {}", names_[current_], unpack->error());
        if (n > 0) {
            waiting_ = false;
            end_ += static_cast<size_t>(n);
            bytes_read_ += static_cast<uint64_t>(n);
            return ReadStatus::line;
        }
        if (n == 0) return ReadStatus::end;
        if (errno == EINTR) continue;
        return fail(Exit::runtime, "{}: read failed: {}", names_[current_], std::strerror(errno));
    }
}

Result<ReadStatus> LineReader::next(Line& out) {
    for (;;) {
        if (current_ >= fds_.size()) return ReadStatus::end;
        const char* base = buf_.data();
        const void* nl = end_ > begin_ ? std::memchr(base + begin_, '\n', end_ - begin_) : nullptr;
        if (nl || (eof_ && (begin_ < end_ || skipping_))) {
            size_t stop = nl ? static_cast<size_t>(static_cast<const char*>(nl) - base) : end_;
            size_t len = stop - begin_;
            out.source = current_;
            out.number = ++line_no_;
            out.too_long = skipping_;
            out.length = skipped_ + len;
            out.bytes = skipping_ ? std::string_view{} : std::string_view(base + begin_, len);
            skipping_ = false;
            skipped_ = 0;
            begin_ = nl ? stop + 1 : end_;
            return ReadStatus::line;
        }
        if (eof_) {
            close_current();
            continue;
        }
        if (skipping_) {
            skipped_ += end_ - begin_;
            begin_ = end_ = 0;
        } else if (end_ - begin_ > max_line_) {
            skipping_ = true;
            skipped_ = end_ - begin_;
            begin_ = end_ = 0;
        } else if (begin_ > 0) {
            std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        if (end_ == buf_.size()) buf_.resize(std::min(buf_.size() * 2, max_line_ + 1));
        auto got = fill();
        if (!got) return std::unexpected(got.error());
        if (*got == ReadStatus::end) eof_ = true;
        else if (*got != ReadStatus::line) return *got;
    }
}

}  // namespace kpipe
