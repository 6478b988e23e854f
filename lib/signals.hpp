// Ctrl-C and SIGTERM as a flag the main loops poll, so destructors run, producers
// flush and consumers commit. Handlers are installed without SA_RESTART: a blocking
// read() returns EINTR and the loop sees the flag.
#pragma once

namespace kpipe {

class SignalGuard {
public:
    SignalGuard();   // installs SIGINT/SIGTERM handlers
    ~SignalGuard();  // restores the previous ones
    SignalGuard(const SignalGuard&) = delete;
    SignalGuard& operator=(const SignalGuard&) = delete;

    static bool interrupted();
    static int signal_number();  // 0 when none arrived
    static void reset();
};

}  // namespace kpipe
