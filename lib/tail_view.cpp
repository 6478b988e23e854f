#include "tail_view.hpp"

#include "timestamp.hpp"

namespace kpipe {

namespace {

std::string human_bytes(double b) {
    if (b < 1024) return fmt::format("{:.0f} B", b);
    if (b < 1024 * 1024) return fmt::format("{:.1f} KB", b / 1024);
    return fmt::format("{:.1f} MB", b / (1024 * 1024));
}

}  // namespace

void CompactLine::append(const Item& item, std::string& out) {
    const RecordView& r = item.record;
    Painter p(out, style_, width_);
    std::string when = r.timestamp >= 0 ? format_local_time(r.timestamp, !today(r.timestamp)) : "-";
    p.put(when, style_.dim());
    p.put(" ");
    p.put(fmt::format("{}{}/{}", multi_topic_ ? std::string(r.topic) + ":" : "", r.partition, r.offset), style_.dim());
    p.put(" ");
    payload(p, r.key, style_.cyan(), true);
    p.put(" ");
    payload(p, r.value, {}, false);
    p.finish();
    out += '\n';
}

bool CompactLine::today(int64_t ts) {
    if (today_.empty()) today_ = format_local_time(now_ms(), true).substr(0, 10);
    return format_local_time(ts, true).compare(0, 10, today_) == 0;
}

void CompactLine::payload(Painter& p, const std::optional<std::string_view>& bytes, std::string_view style,
                          bool is_key) {
    if (!bytes) {
        p.put("null", style_.dim());
        return;
    }
    if (bytes->empty()) {
        p.put("\"\"", style_.dim());
        return;
    }
    switch (envelope_.classify(*bytes)) {
        case Encoding::json:
            if (is_key) p.put(*bytes, style);
            else paint_json(p, style_, *bytes);
            break;
        case Encoding::text: p.put_escaped(*bytes, style); break;
        case Encoding::base64: {
            std::string b64 = "base64:";
            envelope_.append_payload(b64, *bytes);
            p.put(b64, style_.dim());
            break;
        }
    }
}

void TailStats::append(const Item& item, std::string& out) {
    const RecordView& r = item.record;
    uint64_t bytes = (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
    auto& c = per_[{std::string(r.topic), r.partition}];
    ++c.records, c.bytes += bytes;
    ++total_.records, total_.bytes += bytes;
    if (shown_ && redraw_) {
        out += "\r\x1b[K";  // the status line sits where records continue
        shown_ = false;
    }
    pending_ = true;
    inner_.append(item, out);
}

void TailStats::flushed() {
    pending_ = false;
    if (redraw_ && !shown_ && !line_.empty()) draw();
}

void TailStats::tick(bool final) {
    auto now = std::chrono::steady_clock::now();
    if (!final && now < next_) return;
    next_ = now + std::chrono::seconds(1);
    double secs = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    if (secs <= 0) secs = 1;
    auto rate = [&](const Counts& c, Counts& seen) {
        auto s = fmt::format("{:.0f} rec/s {}/s", static_cast<double>(c.records - seen.records) / secs,
                             human_bytes(static_cast<double>(c.bytes - seen.bytes) / secs));
        seen = c;
        return s;
    };
    std::string line = fmt::format("{} records total, {}", total_.records, rate(total_, seen_total_));
    bool multi = per_.size() > 1 && per_.begin()->first.first != per_.rbegin()->first.first;
    for (auto& [tp, c] : per_)
        line += fmt::format(" | {}{}: {}", multi ? tp.first + ":" : "p", tp.second, rate(c, seen_[tp]));
    line_ = line;
    if (final) {
        if (redraw_ && shown_) fmt::print(stderr, "\r\x1b[K");
        fmt::print(stderr, "kpipe: tail: {} records, {}\n", total_.records, human_bytes(double(total_.bytes)));
        return;
    }
    if (redraw_) {
        // Records not yet on stdout would land after the status line: flushed() draws it then.
        if (pending_) return;
        if (shown_) fmt::print(stderr, "\r\x1b[K");
        draw();
    } else {
        fmt::print(stderr, "kpipe: stats: {}\n", line_);
    }
}

void TailStats::draw() {
    std::string shown;
    Painter p(shown, style_, terminal_width(stderr) - 1);
    p.put(line_, style_.dim());
    p.finish();
    fmt::print(stderr, "{}", shown);
    std::fflush(stderr);
    shown_ = true;
}

}  // namespace kpipe
