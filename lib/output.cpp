#include "output.hpp"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>


namespace kpipe {

Output::Output(int fd, size_t chunk, Cancel cancel) : fd_(fd), chunk_(chunk), cancel_(cancel) {
    struct stat st {};
    is_pipe_ = fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
    buf_.reserve(chunk + 64 * 1024);
}

Result<Output::State> Output::flush() {
    if (state_ != State::open) return state_;
    size_t done = 0;
    while (done < buf_.size()) {
        ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
        if (n >= 0) {
            done += static_cast<size_t>(n);
            written_ += static_cast<uint64_t>(n);
            continue;
        }
        if (errno == EINTR) {
            if (cancel_.requested()) {
                buf_.erase(0, done);
                return state_ = State::interrupted;
            }
            continue;
        }
        if (errno == EPIPE) {
            buf_.clear();
            return state_ = State::closed;
        }
        int e = errno;
        buf_.clear();
        return fail(Exit::runtime, "cannot write to standard output: {}", std::strerror(e));
    }
    buf_.clear();
    if (exact_) return wait_drained();
    return State::open;
}

bool Output::reader_gone() {
    if (state_ == State::closed) return true;
    if (!is_pipe_) return false;
    pollfd p{fd_, 0, 0};
    if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP))) {
        state_ = State::closed;
        return true;
    }
    return false;
}

// Linux: FIONREAD on either end of a pipe gives the bytes not yet read. The reader
// leaving shows as POLLERR on the write end.
Result<Output::State> Output::wait_drained() {
    using namespace std::chrono;
    auto pause = microseconds(20);
    for (int spins = 0;; ++spins) {
        int unread = 0;
        if (ioctl(fd_, FIONREAD, &unread) != 0) return State::open;  // cannot tell: do not block
        if (unread == 0) return State::open;
        pollfd p{fd_, 0, 0};
        if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP))) return state_ = State::closed;
        if (cancel_.requested()) return state_ = State::interrupted;
        if (spins < 50) {
            std::this_thread::yield();
            continue;
        }
        std::this_thread::sleep_for(pause);
        pause = std::min<microseconds>(pause * 2, milliseconds(5));
    }
}

}  // namespace kpipe
