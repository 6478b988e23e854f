#include "log_limiter.hpp"

#include <cctype>

#include <fmt/format.h>

namespace kpipe {

std::string fold_digits(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (std::isdigit(static_cast<unsigned char>(s[i]))) {
            out += '#';
            while (i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) ++i;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string LogLimiter::note(const Kind& k) {
    return fmt::format("({} more line{} like this held back) {}", k.held, k.held == 1 ? "" : "s", k.sample);
}

std::vector<std::string> LogLimiter::admit(std::string_view line, Clock::time_point now) {
    std::vector<std::string> out;
    if (kinds_.size() > 10000) kinds_.clear();  // bounded memory, whatever the client logs
    auto [it, fresh] = kinds_.try_emplace(fold_digits(line));
    Kind& k = it->second;
    if (fresh || now - k.start >= window_) {
        if (k.held > 0) out.push_back(note(k));
        k = Kind{now, 0, 0, {}};
    }
    if (k.shown < burst_) {
        ++k.shown;
        out.emplace_back(line);
    } else {
        ++k.held;
        k.sample = line;
    }
    return out;
}

std::vector<std::string> LogLimiter::flush() {
    std::vector<std::string> out;
    for (auto& [key, k] : kinds_)
        if (k.held > 0) {
            out.push_back(note(k));
            k.held = 0;
        }
    return out;
}

}  // namespace kpipe
