// Log lines held back when they repeat: a client that loops on one state can log the same
// line thousands of times a second (a -vv run once wrote 7.7 GB that way).
#pragma once
#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kpipe {

// The line with each run of digits replaced by '#': lines that differ only in numbers
// (offsets, times, counts) are alike.
std::string fold_digits(std::string_view s);

class LogLimiter {
public:
    using Clock = std::chrono::steady_clock;
    // At most `burst` lines alike (digits folded) are let through per `window`.
    explicit LogLimiter(int burst = 5, std::chrono::milliseconds window = std::chrono::seconds(10))
        : burst_(burst), window_(window) {}

    // What to print for `line` at `now`: a note on the lines like it held back in the
    // window that just closed (if any), then the line itself (if let through).
    std::vector<std::string> admit(std::string_view line, Clock::time_point now);
    // Notes on every kind of line still held back (at the end of a run).
    std::vector<std::string> flush();

private:
    struct Kind {
        Clock::time_point start;
        int shown = 0;
        long held = 0;
        std::string sample;  // the last line held back
    };
    static std::string note(const Kind& k);
    int burst_;
    std::chrono::milliseconds window_;
    std::map<std::string, Kind> kinds_;
};

}  // namespace kpipe
