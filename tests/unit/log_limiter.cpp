#include "log_limiter.hpp"

#include <doctest/doctest.h>

using kpipe::LogLimiter;
using namespace std::chrono_literals;

TEST_CASE("fold_digits: runs of digits become one #") {
    CHECK(kpipe::fold_digits("offset 12345 at 7ms") == "offset # at #ms");
    CHECK(kpipe::fold_digits("") == "");
}

TEST_CASE("LogLimiter lets a burst of alike lines through, holds back the rest, then sums them up") {
    LogLimiter lim(2, 10s);
    LogLimiter::Clock::time_point t{};
    CHECK(lim.admit("wait 1", t) == std::vector<std::string>{"wait 1"});
    CHECK(lim.admit("wait 2", t + 1ms) == std::vector<std::string>{"wait 2"});
    for (int i = 3; i < 1003; ++i) CHECK(lim.admit("wait " + std::to_string(i), t + 2ms).empty());
    // Other lines are not held back by these.
    CHECK(lim.admit("other", t + 3ms) == std::vector<std::string>{"other"});
    // The window closes: the note on the 1000 held back comes before the new line.
    auto out = lim.admit("wait 9", t + 10s);
    REQUIRE(out.size() == 2);
    CHECK(out[0] == "(1000 more lines like this held back) wait 1002");
    CHECK(out[1] == "wait 9");
    CHECK(lim.flush().empty());
}

TEST_CASE("LogLimiter::flush sums up what is still held back, once") {
    LogLimiter lim(1, 10s);
    LogLimiter::Clock::time_point t{};
    lim.admit("x 1", t);
    lim.admit("x 2", t);
    CHECK(lim.flush() == std::vector<std::string>{"(1 more line like this held back) x 2"});
    CHECK(lim.flush().empty());
}
