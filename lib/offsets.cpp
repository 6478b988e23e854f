#include "offsets.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include "duration.hpp"
#include "timestamp.hpp"

namespace kpipe {

namespace {

constexpr std::string_view kGrammar = "beginning, end, stored, N, +N, -N or @TIME";

std::optional<int64_t> to_int(std::string_view s) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

Result<OffsetSpec> parse_time_spec(std::string_view text, std::string_view t, int64_t now) {
    using K = OffsetSpec::Kind;
    if (t.starts_with('-')) {
        auto d = parse_duration(t.substr(1));
        if (!d)
            return fail(Exit::usage, "invalid offset '{}': '{}' is not a duration (examples: @-1h, @-15m, @-30s)",
                        text, t.substr(1));
        return OffsetSpec{K::time, now - d->count()};
    }
    auto ms = parse_time(t);
    if (!ms)
        return fail(Exit::usage,
                    "invalid offset '{}': '{}' is not a time (epoch ms, ISO-8601 such as 2025-11-24T16:00:00Z, "
                    "or a duration ago such as -1h)",
                    text, t);
    return OffsetSpec{K::time, *ms};
}

// Why a range whose ends can be compared now ends before it starts, or nothing. Both
// ends must be of one kind: offsets, times, +N or -N. An end equal to the start is an
// empty range (TO is exclusive), as a script computing FROM:TO may well ask for.
std::string reversed(const OffsetRange& r) {
    using K = OffsetSpec::Kind;
    if (!r.from || !r.to || r.from->kind != r.to->kind) return {};
    const K kind = r.from->kind;
    bool before = false;
    if (kind == K::absolute || kind == K::time || kind == K::from_start) before = r.to->value < r.from->value;
    else if (kind == K::from_end) before = r.to->value > r.from->value;  // -20 ends before -10 starts
    if (!before) return {};
    return fmt::format("it ends ({}) before it starts ({}) and would read nothing", describe(*r.to),
                       describe(*r.from));
}

}  // namespace

Result<OffsetSpec> parse_offset_spec(std::string_view text, int64_t now) {
    using K = OffsetSpec::Kind;
    std::string_view t = trim(text);
    if (t.empty()) return fail(Exit::usage, "invalid offset '{}': empty (expected {})", text, kGrammar);
    if (t == "beginning" || t == "start" || t == "oldest") return OffsetSpec{K::beginning, 0};
    if (t == "end" || t == "newest") return OffsetSpec{K::end, 0};
    if (t == "stored" || t == "committed") return OffsetSpec{K::stored, 0};
    if (t.front() == '@') return parse_time_spec(text, t.substr(1), now);
    if (t.front() == '+' || t.front() == '-') {
        auto n = to_int(t.substr(1));
        if (!n) return fail(Exit::usage, "invalid offset '{}': '{}' is not a count after '{}'", text, t.substr(1), t[0]);
        return OffsetSpec{t.front() == '+' ? K::from_start : K::from_end, *n};
    }
    if (auto n = to_int(t)) return OffsetSpec{K::absolute, *n};
    return fail(Exit::usage, "invalid offset '{}' (expected {})", text, kGrammar);
}

Result<OffsetRange> parse_offset_range(std::string_view text, int64_t now) {
    std::string_view t = trim(text);
    // A whole spec first: ISO times contain ':' too.
    if (auto whole = parse_offset_spec(t, now)) return OffsetRange{*whole, std::nullopt};
    Error first_error;  // of the last split tried: it names the part after the last ':'
    for (size_t colon = t.find(':'); colon != std::string_view::npos; colon = t.find(':', colon + 1)) {
        std::string_view a = t.substr(0, colon), b = t.substr(colon + 1);
        OffsetRange r;
        if (!trim(a).empty()) {
            auto from = parse_offset_spec(a, now);
            if (!from) {
                first_error = from.error();
                continue;
            }
            r.from = *from;
        }
        if (!trim(b).empty()) {
            auto to = parse_offset_spec(b, now);
            if (!to) {
                first_error = to.error();
                continue;
            }
            r.to = *to;
        }
        if (r.to && r.to->kind == OffsetSpec::Kind::stored)
            return fail(Exit::usage, "invalid range '{}': 'stored' cannot end a range", text);
        if (!r.from && !r.to) return fail(Exit::usage, "invalid range '{}': both ends are empty", text);
        if (auto why = reversed(r); !why.empty()) return fail(Exit::usage, "invalid range '{}': {}", text, why);
        return r;
    }
    if (first_error.message.empty()) {
        auto single = parse_offset_spec(t, now);  // no ':' at all: report the spec's own error
        return std::unexpected(single.error());
    }
    return std::unexpected(first_error);
}

Result<std::vector<int32_t>> parse_partition_list(std::string_view text) {
    // Checked before a range is expanded: "0-2147483647" would otherwise be 8 GB of numbers.
    constexpr int64_t kMaxPartition = 999'999;
    std::vector<int32_t> out;
    auto bad = [&](std::string_view part) {
        return fail(Exit::usage, "invalid partition list '{}': '{}' (expected numbers and ranges such as 0,2,5-7)",
                    text, part);
    };
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t comma = text.find(',', pos);
        std::string_view item = trim(text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
        size_t dash = item.find('-');
        auto a = to_int(item.substr(0, dash));
        auto b = dash == std::string_view::npos ? a : to_int(item.substr(dash + 1));
        if (!a || !b || *a > *b) return bad(item);
        if (*b > kMaxPartition)
            return fail(Exit::usage, "invalid partition list '{}': '{}' (partition numbers go up to {})", text, item,
                        kMaxPartition);
        for (int64_t p = *a; p <= *b; ++p) out.push_back(static_cast<int32_t>(p));
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

namespace {

// Splits a LIST into the default range and per-partition ranges.
Result<void> parse_list(std::string_view text, int64_t now, bool is_until, OffsetPlan& plan) {
    std::string_view flag = is_until ? "--until" : "--from";
    size_t pos = 0;
    bool have_default = false;
    while (pos <= text.size()) {
        size_t comma = text.find(',', pos);
        std::string_view item =
            trim(text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
        size_t eq = item.find('=');
        std::optional<int32_t> partition;
        std::string_view range_text = item;
        if (eq != std::string_view::npos) {
            auto p = to_int(trim(item.substr(0, eq)));
            if (!p || *p > INT32_MAX)
                return fail(Exit::usage, "invalid {} '{}': '{}' is not a partition number", flag, text,
                            item.substr(0, eq));
            partition = static_cast<int32_t>(*p);
            range_text = item.substr(eq + 1);
        }
        OffsetRange r;
        if (is_until) {
            auto s = parse_offset_spec(range_text, now);
            if (!s) return std::unexpected(Error{Exit::usage, flag.data() + (": " + s.error().message)});
            if (s->kind == OffsetSpec::Kind::stored)
                return fail(Exit::usage, "invalid --until '{}': 'stored' is only a start", text);
            r.to = *s;
        } else {
            auto rr = parse_offset_range(range_text, now);
            if (!rr) return std::unexpected(Error{Exit::usage, flag.data() + (": " + rr.error().message)});
            r = *rr;
        }
        if (partition) {
            if (plan.partitions.contains(*partition))
                return fail(Exit::usage, "invalid {} '{}': partition {} given twice", flag, text, *partition);
            auto& slot = plan.partitions[*partition];
            if (is_until) slot.to = r.to;
            else slot = r;
        } else {
            if (have_default) return fail(Exit::usage, "invalid {} '{}': more than one default (no P=)", flag, text);
            have_default = true;
            if (is_until) plan.all.to = r.to;
            else plan.all = r;
        }
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return {};
}

}  // namespace

Result<OffsetPlan> parse_offset_plan(std::string_view from, std::string_view until, int64_t now) {
    OffsetPlan plan;
    if (!trim(from).empty())
        if (auto r = parse_list(from, now, false, plan); !r) return std::unexpected(r.error());
    if (!trim(until).empty()) {
        auto has_to = [](const OffsetRange& r) { return r.to.has_value(); };
        bool from_has_end = has_to(plan.all) || std::any_of(plan.partitions.begin(), plan.partitions.end(),
                                                             [&](const auto& kv) { return has_to(kv.second); });
        if (from_has_end)
            return fail(Exit::usage, "--until '{}' given while --from '{}' already has an end (FROM:TO)", until, from);
        // --until entries apply on top of --from's: keep per-partition starts.
        OffsetPlan ends;
        if (auto r = parse_list(until, now, true, ends); !r) return std::unexpected(r.error());
        plan.all.to = ends.all.to;
        for (const auto& [p, r] : ends.partitions) plan.partitions[p].to = r.to;
        auto check = [&](const OffsetRange& r, std::string where) -> Result<void> {
            if (auto why = reversed(r); !why.empty())
                return fail(Exit::usage, "--from '{}' with --until '{}'{}: {}", from, until, where, why);
            return {};
        };
        if (auto r = check(plan.all, ""); !r) return std::unexpected(r.error());
        for (const auto& [p, r] : plan.partitions)
            if (auto c = check(plan.for_partition(p), fmt::format(" (partition {})", p)); !c)
                return std::unexpected(c.error());
    }
    return plan;
}

OffsetRange OffsetPlan::for_partition(int32_t p) const {
    OffsetRange r = all;
    if (auto it = partitions.find(p); it != partitions.end()) {
        if (it->second.from) r.from = it->second.from;
        if (it->second.to) r.to = it->second.to;
    }
    return r;
}

bool OffsetPlan::any_stored() const {
    auto st = [](const OffsetRange& r) { return r.from && r.from->kind == OffsetSpec::Kind::stored; };
    return st(all) || std::any_of(partitions.begin(), partitions.end(), [&](const auto& kv) { return st(kv.second); });
}

bool OffsetPlan::bounded() const { return all.to.has_value(); }

bool OffsetPlan::bounded(const std::vector<int32_t>& ps) const {
    if (bounded()) return true;
    return !ps.empty() && std::all_of(ps.begin(), ps.end(), [&](int32_t p) { return for_partition(p).to.has_value(); });
}

std::string describe(const OffsetSpec& s) {
    using K = OffsetSpec::Kind;
    switch (s.kind) {
        case K::beginning: return "beginning";
        case K::end: return "end";
        case K::stored: return "stored";
        case K::absolute: return std::to_string(s.value);
        case K::from_start: return "+" + std::to_string(s.value);
        case K::from_end: return "-" + std::to_string(s.value);
        case K::time: return "@" + format_iso_utc(s.value);
    }
    return "?";
}

std::optional<int64_t> resolve_start(const OffsetSpec& s, const PartitionMarks& m) {
    using K = OffsetSpec::Kind;
    auto clamp = [&](int64_t v) { return std::clamp(v, m.low, std::max(m.low, m.high)); };
    // +N past the end (up to INT64_MAX) starts at the end, without overflowing low + N.
    switch (s.kind) {
        case K::beginning: return m.low;
        case K::end: return m.high;
        case K::stored: return std::nullopt;
        case K::absolute: return clamp(s.value);
        case K::from_start: return clamp(s.value > m.high - m.low ? m.high : m.low + s.value);
        case K::from_end: return clamp(m.high - s.value);
        case K::time: return m.time_offset >= 0 ? m.time_offset : m.high;
    }
    return m.low;
}

int64_t resolve_end(const OffsetSpec& s, const PartitionMarks& m) {
    using K = OffsetSpec::Kind;
    switch (s.kind) {
        case K::beginning: return m.low;
        case K::end: return m.high;
        case K::stored: return m.high;  // rejected by the parser
        case K::absolute: return s.value;
        case K::from_start:  // saturated: an end that large is never reached
            return s.value > std::numeric_limits<int64_t>::max() - m.low ? std::numeric_limits<int64_t>::max()
                                                                          : m.low + s.value;
        case K::from_end: return std::max(m.low, m.high - s.value);
        case K::time: return m.time_offset >= 0 ? m.time_offset : m.high;
    }
    return m.high;
}

}  // namespace kpipe
