// Ctrl-C and SIGTERM become a Cancel token that the loops ask, so destructors run,
// producers flush and consumers commit. Handlers are installed without SA_RESTART: a
// blocking read() or open() returns EINTR and the loop asks the token.
#pragma once
#include "cancel.hpp"

namespace kpipe {

class SignalGuard {
public:
    SignalGuard();   // installs SIGINT/SIGTERM handlers
    ~SignalGuard();  // restores the previous ones
    SignalGuard(const SignalGuard&) = delete;
    SignalGuard& operator=(const SignalGuard&) = delete;

    // Requested once SIGINT or SIGTERM arrived (while any guard was installed).
    static Cancel cancel();
};

}  // namespace kpipe
