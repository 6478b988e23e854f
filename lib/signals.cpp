#include "signals.hpp"

#include <csignal>

namespace kpipe {

namespace {

// The one piece of process-wide state: a signal handler can reach nothing else.
volatile std::sig_atomic_t received = 0;
struct sigaction old_int {};
struct sigaction old_term {};

extern "C" void on_signal(int sig) {
    if (received != 0) {
        // Second Ctrl-C: give up waiting and die the default way.
        std::signal(sig, SIG_DFL);
        std::raise(sig);
    }
    received = sig;
}

}  // namespace

SignalGuard::SignalGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
}

SignalGuard::~SignalGuard() {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
}

Cancel SignalGuard::cancel() { return Cancel(&received); }

}  // namespace kpipe
