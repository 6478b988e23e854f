#include "timestamp.hpp"

#include <charconv>
#include <chrono>
#include <ctime>

namespace kpipe {

namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = v;
    return true;
}

}  // namespace

int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

Result<int64_t> parse_time(std::string_view text) {
    auto bad = [&] {
        return fail(Exit::usage,
                    "invalid time '{}': expected epoch milliseconds or ISO-8601 such as 2025-11-24T16:00:00Z", text);
    };
    if (text.empty()) return bad();
    if (text.find_first_not_of("0123456789") == std::string_view::npos) {
        int64_t v = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || p != text.data() + text.size()) return bad();
        return v;
    }
    int y, mo, d, h = 0, mi = 0, s = 0, ms = 0;
    if (!digits(text, 0, 4, y) || text.size() < 10 || text[4] != '-' || !digits(text, 5, 2, mo) || text[7] != '-' ||
        !digits(text, 8, 2, d))
        return bad();
    size_t pos = 10;
    if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
        if (!digits(text, pos + 1, 2, h) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
            !digits(text, pos + 4, 2, mi))
            return bad();
        pos += 6;
        if (pos < text.size() && text[pos] == ':') {
            if (!digits(text, pos + 1, 2, s)) return bad();
            pos += 3;
            if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
                size_t start = ++pos;
                int scale = 100;
                while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
                    ms += (text[pos] - '0') * scale;
                    scale /= 10;
                    ++pos;
                }
                if (pos == start) return bad();
            }
        }
    }
    int offset_min = 0;
    if (pos < text.size()) {
        char z = text[pos];
        if (z == 'Z' || z == 'z') {
            ++pos;
        } else if (z == '+' || z == '-') {
            int oh = 0, om = 0;
            if (!digits(text, pos + 1, 2, oh)) return bad();
            size_t q = pos + 3;
            if (q < text.size() && text[q] == ':') ++q;
            if (q < text.size() && !digits(text, q, 2, om)) return bad();
            if (q < text.size()) q += 2;
            offset_min = (z == '+' ? 1 : -1) * (oh * 60 + om);
            pos = q;
        }
    }
    if (pos != text.size()) return bad();
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return bad();
    using namespace std::chrono;
    year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return bad();
    auto tp = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s} + milliseconds{ms} - minutes{offset_min};
    int64_t epoch_ms = duration_cast<milliseconds>(tp.time_since_epoch()).count();
    if (epoch_ms < min_iso_ms || epoch_ms > max_iso_ms) return bad();  // e.g. 0000-01-01T00:00+01:00
    return epoch_ms;
}

std::string format_iso_utc(int64_t epoch_ms) {
    using namespace std::chrono;
    if (epoch_ms < min_iso_ms || epoch_ms > max_iso_ms) return fmt::format("{}", epoch_ms);
    sys_time<milliseconds> tp{milliseconds{epoch_ms}};
    auto day = floor<days>(tp);
    year_month_day ymd{day};
    hh_mm_ss hms{tp - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                       hms.minutes().count(), hms.seconds().count(), hms.subseconds().count());
}

std::string format_local_time(int64_t epoch_ms, bool with_date) {
    std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
    return fmt::format("{}.{:03}", buf, static_cast<int>(((epoch_ms % 1000) + 1000) % 1000));
}

}  // namespace kpipe
