// kpipe tail: a live view of a topic. On a terminal one compact line per record; piped,
// the same JSON envelope lines as consume. Never joins a group or commits.
#include <unistd.h>

#include <map>

#include "command.hpp"
#include "consume_loop.hpp"
#include "json_color.hpp"
#include "signals.hpp"
#include "timestamp.hpp"

namespace kpipe::cli {
namespace {

struct TailOptions {
    std::vector<std::string> topics;
    int64_t last = -1;
    std::string since;
    std::string partitions;
    bool wrap = false;
    bool stats = false;
    std::string time_format = "ms";
};

// One line per record for people: local time, partition/offset, key, value.
class CompactLine : public RecordSink {
public:
    CompactLine(Style style, long width) : style_(style), width_(width) {}
    bool append(const RecordView& r, std::string& out) override {
        Painter p(out, style_, width_);
        std::string when = r.timestamp >= 0 ? format_local_time(r.timestamp, !today(r.timestamp)) : "-";
        p.put(when, style_.dim());
        p.put(" ");
        p.put(fmt::format("{}{}/{}", multi_topic_ ? std::string(r.topic) + ":" : "", r.partition, r.offset),
              style_.dim());
        p.put(" ");
        payload(p, r.key, style_.cyan(), true);
        p.put(" ");
        payload(p, r.value, {}, false);
        p.finish();
        out += '\n';
        return true;
    }
    void set_multi_topic(bool on) { multi_topic_ = on; }

private:
    bool today(int64_t ts) {
        if (today_.empty()) today_ = format_local_time(now_ms(), true).substr(0, 10);
        return format_local_time(ts, true).compare(0, 10, today_) == 0;
    }
    void payload(Painter& p, const std::optional<std::string_view>& bytes, std::string_view style, bool is_key) {
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

    Style style_;
    long width_;
    bool multi_topic_ = false;
    EnvelopeWriter envelope_;
    std::string today_;
};

// --stats: records/s and bytes/s, in total and per partition, on stderr every second.
class WithStats : public RecordSink {
public:
    WithStats(RecordSink& inner, bool enabled, bool redraw, Style style)
        : inner_(inner), enabled_(enabled), redraw_(redraw), style_(style) {}
    bool append(const RecordView& r, std::string& out) override {
        if (enabled_) {
            uint64_t bytes = (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
            auto& c = per_[{std::string(r.topic), r.partition}];
            ++c.records, c.bytes += bytes;
            ++total_.records, total_.bytes += bytes;
            if (shown_ && redraw_) {
                out += "\r\x1b[K";  // the status line sits where records continue
                shown_ = false;
            }
            pending_ = true;
        }
        return inner_.append(r, out);
    }
    void flushed() override {
        pending_ = false;
        if (enabled_ && redraw_ && !shown_ && !line_.empty()) draw();
    }
    void tick(bool final) override {
        if (!enabled_) return;
        auto now = std::chrono::steady_clock::now();
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

private:
    struct Counts {
        uint64_t records = 0;
        uint64_t bytes = 0;
    };
    static std::string human_bytes(double b) {
        if (b < 1024) return fmt::format("{:.0f} B", b);
        if (b < 1024 * 1024) return fmt::format("{:.1f} KB", b / 1024);
        return fmt::format("{:.1f} MB", b / (1024 * 1024));
    }
    void draw() {
        std::string shown;
        Painter p(shown, style_, terminal_width(stderr) - 1);
        p.put(line_, style_.dim());
        p.finish();
        fmt::print(stderr, "{}", shown);
        std::fflush(stderr);
        shown_ = true;
    }

    RecordSink& inner_;
    bool enabled_;
    bool redraw_;
    Style style_;
    bool shown_ = false;
    bool pending_ = false;  // records appended but not yet flushed to stdout
    std::string line_;
    Counts total_, seen_total_;
    std::map<std::pair<std::string, int32_t>, Counts> per_, seen_;
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

Exit run_tail(const Settings& s, const TailOptions& o) {
    if (o.last >= 0 && !o.since.empty()) throw Failure{{Exit::usage, "tail: give -n or --since, not both"}};
    ConsumeRequest r;
    r.topics = o.topics;
    int64_t now = now_ms();
    std::string from = "end";
    if (o.last >= 0) from = fmt::format("-{}", o.last);
    if (!o.since.empty()) {
        value_or_throw(parse_duration(o.since));  // names --since's value when it is wrong
        from = "@-" + o.since;
    }
    r.plan = value_or_throw(parse_offset_plan(from, "", now));
    r.from_given = true;
    if (!o.partitions.empty()) r.partitions = value_or_throw(parse_partition_list(o.partitions));

    Output out(STDOUT_FILENO, is_terminal(stdout) ? 16 * 1024 : 256 * 1024);
    std::unique_ptr<RecordSink> lines;
    if (is_terminal(stdout)) {
        auto compact = std::make_unique<CompactLine>(Style{use_color(s, stdout)},
                                                     o.wrap ? -1L : static_cast<long>(terminal_width(stdout)));
        compact->set_multi_topic(o.topics.size() > 1 || o.topics.front().starts_with('^'));
        lines = std::move(compact);
    } else {
        PrintOptions po;
        po.iso_time = o.time_format == "iso";
        lines = value_or_throw(RecordPrinter::create(po));
    }
    bool redraw = is_terminal(stderr);
    WithStats sink(*lines, o.stats, redraw, Style{use_color(s, stderr)});
    SignalGuard guard;
    return value_or_throw(consume(s, r, sink, out)).exit;
}

}  // namespace

void register_tail(CLI::App& app, Commands& out) {
    auto o = std::make_shared<TailOptions>();
    auto* t = app.add_subcommand("tail", "Follow a topic live: new records as they arrive, until Ctrl-C");
    t->footer(
        "On a terminal each record is one line: local time, partition/offset, key and value (JSON coloured,\n"
        "cut to the terminal width unless --wrap). Piped, tail writes the same JSON envelope lines as consume.\n"
        "Never joins a consumer group or commits offsets. Ctrl-C exits 0.");
    t->add_option("topic", o->topics, "Topic names, or regexes starting with ^")->required()->type_name("TOPIC");
    t->add_option("-n,--last", o->last, "First show the last N records of each partition")
        ->type_name("N")
        ->check(CLI::NonNegativeNumber);
    t->add_option("--since", o->since, "First show records from this long ago, e.g. 5m")->type_name("DURATION");
    t->add_option("-p,--partition", o->partitions, "Only these partitions, e.g. 0,2,5-7")->type_name("LIST");
    t->add_flag("--wrap", o->wrap, "On a terminal, show long values whole instead of cutting them");
    t->add_flag("--stats", o->stats, "Status line on stderr every second: records/s and bytes/s, total and per partition");
    t->add_option("--time-format", o->time_format, "Piped output timestamps: ms (epoch milliseconds) or iso")
        ->check(CLI::IsMember({"ms", "iso"}))
        ->type_name("FORMAT");
    out.push_back({t, [o](const Settings& s) { return run_tail(s, *o); }});
}

}  // namespace kpipe::cli
