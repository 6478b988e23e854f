#include "duration.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <iterator>
#include <utility>

namespace kpipe {

Result<Millis> parse_duration(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return fail(Exit::usage, "invalid duration '{}': {} (examples: 500ms, 10s, 2m, 1h30m)", text, why);
    };
    if (text.empty()) return bad("empty");
    std::string_view rest = text;
    long double total = 0;
    bool any = false;
    while (!rest.empty()) {
        double n = 0;
        auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
        if (ec != std::errc{} || !std::isfinite(n) || n < 0) return bad("expected a non-negative number");
        rest.remove_prefix(static_cast<size_t>(p - rest.data()));
        size_t u = 0;
        while (u < rest.size() && std::isalpha(static_cast<unsigned char>(rest[u]))) ++u;
        std::string_view unit = rest.substr(0, u);
        rest.remove_prefix(u);
        long double ms_per = 0;
        if (unit == "ms") ms_per = 1;
        else if (unit == "s" || (unit.empty() && rest.empty() && !any)) ms_per = 1000;
        else if (unit == "m") ms_per = 60'000;
        else if (unit == "h") ms_per = 3'600'000;
        else if (unit == "d") ms_per = 86'400'000;
        else if (unit.empty()) return bad("missing unit");
        else return bad(fmt::format("unknown unit '{}'", unit));
        total += n * ms_per;
        any = true;
    }
    if (total > 1e15) return bad("too large");
    return Millis(static_cast<long long>(total + 0.5L));
}

std::string format_duration(Millis d) {
    const long long signed_ms = d.count();
    // The magnitude as unsigned: -LLONG_MIN does not fit in a long long.
    const unsigned long long ms = signed_ms < 0 ? 0ULL - static_cast<unsigned long long>(signed_ms)
                                                : static_cast<unsigned long long>(signed_ms);
    // Built by appending: `"-" + std::string` trips a false -Wrestrict in g++ 12 at -O3.
    std::string out = signed_ms < 0 ? "-" : "";
    auto add = [&out](unsigned long long n, std::string_view unit) {
        fmt::format_to(std::back_inserter(out), "{}{}", n, unit);
    };
    if (ms < 1000) {
        add(ms, "ms");
    } else if (ms < 60'000) {
        if (ms % 1000 == 0) add(ms / 1000, "s");
        else fmt::format_to(std::back_inserter(out), "{:.1f}s", static_cast<double>(ms) / 1000.0);
    } else {
        unsigned long long s = ms / 1000;
        for (auto [unit, seconds] : {std::pair{"d", 86'400ULL}, {"h", 3'600ULL}, {"m", 60ULL}, {"s", 1ULL}})
            if (s >= seconds) add(s / seconds, unit), s %= seconds;
    }
    return out;
}

}  // namespace kpipe
