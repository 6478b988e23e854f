#include "count_writer.hpp"

#include <algorithm>
#include <cmath>
#include <thread>

#include <nlohmann/json.hpp>

#include "timestamp.hpp"

namespace kpipe {

namespace {

constexpr char key_separator = '\x1f';
constexpr std::string_view other_key = "(other)";

std::vector<std::string_view> split_key(std::string_view key) {
    std::vector<std::string_view> parts;
    for (size_t at = 0;;) {
        size_t next = key.find(key_separator, at);
        parts.push_back(key.substr(at, next == std::string_view::npos ? std::string_view::npos : next - at));
        if (next == std::string_view::npos) return parts;
        at = next + 1;
    }
}

std::string number(double v) {
    if (std::isfinite(v) && v == std::floor(v) && std::abs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
    return fmt::format("{:.6g}", v);
}

}  // namespace

Result<CountWriter::Path> CountWriter::path(const std::string& expr, const std::string& option) {
    auto jq = JqFilter::compile(expr);
    if (!jq) return fail(Exit::usage, "{}: {}", option, jq.error().message);
    return Path{expr, FastFilter::compile(expr), std::move(*jq)};
}

Result<std::unique_ptr<CountWriter>> CountWriter::create(const CountOptions& o, Output& out, Style style) {
    std::unique_ptr<CountWriter> w(new CountWriter(o, out, style));
    if (o.by.empty()) return fail(Exit::usage, "--count-by: give one or more paths, e.g. .value.page");
    for (const auto& b : o.by) {
        auto p = w->path(b, "--count-by");
        if (!p) return std::unexpected(p.error());
        w->by_.push_back(std::move(*p));
    }
    int measures = !o.sum.empty() + !o.avg.empty() + !o.min.empty() + !o.max.empty();
    std::string m = !o.sum.empty() ? o.sum : !o.avg.empty() ? o.avg : !o.min.empty() ? o.min : o.max;
    for (const auto* other : {&o.sum, &o.avg, &o.min, &o.max})
        if (!other->empty() && *other != m)
            return fail(Exit::usage, "--sum, --avg, --min and --max take the same path (got {} and {})", m, *other);
    if (measures > 0) {
        auto p = w->path(m, "--sum/--avg/--min/--max");
        if (!p) return std::unexpected(p.error());
        w->measure_.emplace(std::move(*p));
    }
    return w;
}

Result<bool> CountWriter::eval(Path& p, const Item& item, FastFilter::Value& v) {
    if (p.fast) {
        auto a = p.fast->value(item.record, o_.iso_time, v);
        if (a != FastFilter::Answer::ask_jq) return v.kind != FastFilter::Value::none;
    }
    std::string_view json = item.envelope;
    if (json.empty()) {
        envelope_.clear();
        writer_.append(item.record, envelope_);
        json = envelope_;
    }
    auto r = p.jq.outputs(json, outputs_);
    if (!r) return std::unexpected(r.error());
    if (outputs_.empty()) return false;
    const std::string& text = outputs_.front();
    auto j = nlohmann::json::parse(text, nullptr, false);
    v.text = text;
    v.kind = FastFilter::Value::json;
    if (j.is_string()) v.kind = FastFilter::Value::string, v.text = j.get<std::string>();
    else if (j.is_number()) v.kind = FastFilter::Value::numeric, v.number = j.get<double>();
    else if (j.is_null()) v.kind = FastFilter::Value::null;
    else if (j.is_boolean()) v.kind = FastFilter::Value::boolean;
    return true;
}

CountWriter::Window& CountWriter::window_for(int64_t ts) {
    int64_t start = -1;
    if (o_.window) {
        int64_t w = o_.window->count();
        if (ts < 0) ts = now_ms();
        start = ts / w * w;
    }
    auto [it, added] = windows_.try_emplace(start);
    if (added) it->second.start = start;
    return it->second;
}

Result<Writer::State> CountWriter::write(const Item& item) {
    key_.clear();
    for (size_t i = 0; i < by_.size(); ++i) {
        auto got = eval(by_[i], item, value_);
        if (!got) return std::unexpected(got.error());
        if (i) key_ += key_separator;
        key_ += *got ? value_.text : "null";
    }
    std::optional<double> measured;
    if (measure_) {
        auto got = eval(*measure_, item, value_);
        if (!got) return std::unexpected(got.error());
        if (*got && value_.kind == FastFilter::Value::numeric) measured = value_.number;
    }
    int64_t ts = item.record.timestamp;
    if (o_.window) {
        int64_t w = o_.window->count();
        int64_t start = (ts < 0 ? now_ms() : ts) / w * w;
        if (start < closed_until_) {  // its window was already written
            ++late_;
            return State::open;
        }
        // Live and piped, a window is complete (and written) once records are two windows
        // on; a window's late records still count until then.
        bool as_they_close = o_.show == CountOptions::Show::live || o_.show == CountOptions::Show::stream;
        while (as_they_close && !windows_.empty() && windows_.begin()->first < start - w) {
            auto st = emit(windows_.begin()->second, true);
            closed_until_ = windows_.begin()->first + w;
            windows_.erase(windows_.begin());
            if (!st || *st != State::open) return st;
        }
    }
    Window& win = window_for(ts);
    ++win.total;
    auto it = win.keys.find(key_);
    if (it == win.keys.end()) {
        if (win.keys.size() >= o_.max_keys) {
            if (!warned_cap_)
                fmt::print(stderr, "kpipe: more than {} distinct keys: the rest are counted as {}\n", o_.max_keys,
                           other_key);
            warned_cap_ = win.capped = true;
            key_ = other_key;
        }
        it = win.keys.try_emplace(key_).first;
    }
    Agg& a = it->second;
    ++a.count;
    done(item.pos);  // counted: nothing more to do for it
    if (measured) {
        a.sum += *measured;
        a.min = a.numbers ? std::min(a.min, *measured) : *measured;
        a.max = a.numbers ? std::max(a.max, *measured) : *measured;
        ++a.numbers;
    }
    return State::open;
}

void CountWriter::reject(const Item& item, std::string_view reason) {
    fmt::print(stderr, "kpipe: {}: {}\n", places_ ? places_->format(item.pos) : "record", reason);
}

Result<Writer::State> CountWriter::flush(bool all) {
    (void)all;
    return State::open;
}

void CountWriter::wait(int ms) {
    if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

std::vector<std::pair<const std::string*, const CountWriter::Agg*>> CountWriter::ranked(const Window& w) const {
    std::vector<std::pair<const std::string*, const Agg*>> rows;
    rows.reserve(w.keys.size());
    for (const auto& [k, a] : w.keys) rows.emplace_back(&k, &a);
    auto by_count = [](const auto& x, const auto& y) {
        return x.second->count != y.second->count ? x.second->count > y.second->count : *x.first < *y.first;
    };
    size_t n = o_.top ? std::min(o_.top, rows.size()) : rows.size();
    std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(n), rows.end(), by_count);
    rows.resize(n);
    return rows;
}

std::string CountWriter::table(const Window& w, bool live) {
    std::vector<std::string> head{"#"};
    for (const auto& b : by_) head.push_back(b.spelling);
    head.insert(head.end(), {"COUNT", "SHARE"});
    if (live) head.push_back("RATE/S");
    if (!o_.sum.empty()) head.push_back("SUM");
    if (!o_.avg.empty()) head.push_back("AVG");
    if (!o_.min.empty()) head.push_back("MIN");
    if (!o_.max.empty()) head.push_back("MAX");
    if (live) head.push_back("");
    Table t(head, style_);
    t.right_align(0);
    for (size_t c = by_.size() + 1; c < head.size() - (live ? 1 : 0); ++c) t.right_align(c);
    auto rows = ranked(w);
    uint64_t top = rows.empty() ? 1 : rows.front().second->count;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_draw_).count();
    size_t rank = 0;
    for (const auto& [k, a] : rows) {
        std::vector<std::string> row{std::to_string(++rank)};
        for (auto part : split_key(*k)) row.emplace_back(part);
        row.resize(1 + by_.size());
        row.push_back(std::to_string(a->count));
        row.push_back(fmt::format("{:.1f}%", w.total ? 100.0 * static_cast<double>(a->count) / static_cast<double>(w.total) : 0.0));
        if (live) {
            uint64_t before = last_counts_.contains(*k) ? last_counts_[*k] : 0;
            row.push_back(fmt::format("{:.0f}", secs > 0 ? static_cast<double>(a->count - std::min(before, a->count)) / secs : 0.0));
        }
        auto stat = [&](double v) { return a->numbers ? number(v) : std::string("-"); };
        if (!o_.sum.empty()) row.push_back(stat(a->sum));
        if (!o_.avg.empty()) row.push_back(a->numbers ? number(a->sum / static_cast<double>(a->numbers)) : "-");
        if (!o_.min.empty()) row.push_back(stat(a->min));
        if (!o_.max.empty()) row.push_back(stat(a->max));
        if (live) {
            size_t len = static_cast<size_t>(std::lround(20.0 * static_cast<double>(a->count) / static_cast<double>(top)));
            std::string bar;
            for (size_t i = 0; i < len; ++i) bar += "\u2588";
            row.push_back(bar);
        }
        t.add(std::move(row));
    }
    std::string out;
    if (w.start >= 0)
        out += fmt::format("window {} to {}\n", format_iso_utc(w.start), format_iso_utc(w.start + o_.window->count()));
    out += t.render();
    out += fmt::format("{} record(s), {} key(s){}{}\n", w.total, w.keys.size(),
                       o_.top && w.keys.size() > o_.top ? fmt::format(", top {} shown", o_.top) : "",
                       late_ ? fmt::format(", {} late record(s) not counted", late_) : "");
    return out;
}

std::string CountWriter::json(const Window& w) {
    nlohmann::ordered_json keys = nlohmann::ordered_json::array();
    for (const auto& [k, a] : ranked(w)) {
        auto parts = split_key(*k);
        nlohmann::ordered_json key = parts.size() == 1 ? nlohmann::ordered_json(parts[0]) : nlohmann::ordered_json(parts);
        nlohmann::ordered_json row{{"key", key}, {"count", a->count}};
        auto stat = [&](double v) { return a->numbers ? nlohmann::ordered_json(v) : nlohmann::ordered_json(); };
        if (!o_.sum.empty()) row["sum"] = stat(a->sum);
        if (!o_.avg.empty()) row["avg"] = stat(a->numbers ? a->sum / static_cast<double>(a->numbers) : 0);
        if (!o_.min.empty()) row["min"] = stat(a->min);
        if (!o_.max.empty()) row["max"] = stat(a->max);
        keys.push_back(std::move(row));
    }
    nlohmann::ordered_json doc;
    if (w.start >= 0) {
        doc["window_start"] = w.start;
        doc["window_end"] = w.start + o_.window->count();
    }
    doc["count"] = w.total;
    doc["distinct"] = w.keys.size();
    doc["late"] = late_;
    doc["keys"] = std::move(keys);
    return doc.dump() + "\n";
}

Result<Writer::State> CountWriter::emit(const Window& w, bool final) {
    std::string text;
    if (o_.show == CountOptions::Show::json || o_.show == CountOptions::Show::stream) {
        text = json(w);
    } else if (o_.show == CountOptions::Show::live && !final) {
        if (drawn_lines_) text = fmt::format("\x1b[{}A\x1b[J", drawn_lines_);
        std::string t = table(w, true);
        drawn_lines_ = static_cast<int>(std::count(t.begin(), t.end(), '\n'));
        text += t;
        last_counts_.clear();
        for (const auto& [k, a] : w.keys) last_counts_[k] = a.count;
        last_draw_ = std::chrono::steady_clock::now();
    } else {
        if (drawn_lines_) text = fmt::format("\x1b[{}A\x1b[J", drawn_lines_);  // a closed window above the live one
        drawn_lines_ = 0;
        text += table(w, false);
        if (o_.window) text += "\n";
    }
    auto st = out_.write(text);
    if (!st) return std::unexpected(st.error());
    if (*st == Output::State::closed) return State::closed;
    if (*st == Output::State::interrupted) return State::interrupted;
    return State::open;
}

void CountWriter::tick() {
    if (o_.show != CountOptions::Show::live && o_.show != CountOptions::Show::stream) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < std::chrono::seconds(1)) return;
    last_draw_ = now;
    // Live: the latest window (or the totals); piped without windows: the totals each second.
    if (windows_.empty()) return;
    if (o_.show == CountOptions::Show::stream && o_.window) return;  // JSON per window, when it closes
    (void)emit(windows_.rbegin()->second, false);
}

Writer::End CountWriter::finish(bool interrupted) {
    (void)interrupted;
    End end;
    if (o_.show == CountOptions::Show::live && drawn_lines_) {
        (void)out_.write(fmt::format("\x1b[{}A\x1b[J", drawn_lines_));  // the final table replaces the live one
        drawn_lines_ = 0;
    }
    for (const auto& [start, w] : windows_) {
        auto st = emit(w, true);
        if (!st) {
            end.after = std::unexpected(st.error());
            break;
        }
        if (*st != State::open) break;
    }
    if (windows_.empty()) (void)emit(Window{}, true);
    return end;
}

}  // namespace kpipe
