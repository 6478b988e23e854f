// A cancellation token passed into lib/: long waits and loops ask it whether to stop.
// cmd/ makes one from SignalGuard (Ctrl-C, SIGTERM); tests make one from their own flag.
#pragma once
#include <csignal>

namespace kpipe {

class Cancel {
public:
    Cancel() = default;  // never cancelled
    explicit Cancel(const volatile std::sig_atomic_t* flag) : flag_(flag) {}
    bool requested() const { return flag_ && *flag_ != 0; }

private:
    const volatile std::sig_atomic_t* flag_ = nullptr;
};

}  // namespace kpipe
