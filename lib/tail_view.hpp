// tail on a terminal: one line per record for people (local time, partition/offset, key,
// the value with JSON colour, cut to the width), and the --stats status line on stderr.
#pragma once
#include <chrono>
#include <map>
#include <string>
#include <utility>

#include "json_color.hpp"
#include "printers.hpp"
#include "terminal.hpp"

namespace kpipe {

class CompactLine : public Printer {
public:
    // width < 0: lines are never cut.
    CompactLine(Style style, long width, bool multi_topic) : style_(style), width_(width), multi_topic_(multi_topic) {}
    void append(const Item& item, std::string& out) override;

private:
    bool today(int64_t ts);
    void payload(Painter& p, const std::optional<std::string_view>& bytes, std::string_view style, bool is_key);

    Style style_;
    long width_;
    bool multi_topic_;
    EnvelopeWriter envelope_;
    std::string today_;
};

// Records/s and bytes/s in total and per partition, on stderr every second: redrawn in
// place on a terminal (below the records), one line per second otherwise.
class TailStats : public Printer {
public:
    TailStats(Printer& inner, bool redraw, Style style) : inner_(inner), redraw_(redraw), style_(style) {}
    void append(const Item& item, std::string& out) override;
    void flushed() override;
    void tick(bool final) override;

private:
    struct Counts {
        uint64_t records = 0;
        uint64_t bytes = 0;
    };
    void draw();

    Printer& inner_;
    bool redraw_;
    Style style_;
    bool shown_ = false;
    bool pending_ = false;  // records appended but not yet flushed to stdout
    std::string line_;
    Counts total_, seen_total_;
    std::map<std::pair<std::string, int32_t>, Counts> per_, seen_;
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point next_ = last_ + std::chrono::seconds(1);
};

}  // namespace kpipe
