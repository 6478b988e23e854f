// --count-by: a Writer whose output is a table instead of records. It counts records per
// key (one or more jq paths on the envelope), optionally with the sum, average, minimum
// and maximum of a numeric path, in total or per tumbling window of record time.
//
// Live (tail on a terminal) it redraws the table once a second: rank, key, count, share,
// rate, a bar. Piped, it writes one JSON document per closed window, or once a second
// without windows. At the end (consume) it writes the final table or document.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "jq_fast.hpp"
#include "jq_filter.hpp"
#include "output.hpp"
#include "pipeline.hpp"
#include "terminal.hpp"

namespace kpipe {

struct CountOptions {
    std::vector<std::string> by;  // jq paths on the envelope, e.g. .value.page
    std::string sum, avg, min, max;  // a numeric jq path each, or empty
    size_t top = 0;                  // rows shown (0: all)
    std::optional<Millis> window;    // tumbling windows by record timestamp
    size_t max_keys = 1'000'000;     // distinct keys kept per window; the rest count as "(other)"
    bool iso_time = false;           // the envelope's timestamps, for the paths
    // live: a table redrawn each second; stream: JSON documents as windows close (each
    // second without windows); table and json: once at the end.
    enum class Show { live, stream, table, json } show = Show::table;
};

class CountWriter : public Writer {
public:
    // Bad paths are usage errors naming the option.
    static Result<std::unique_ptr<CountWriter>> create(const CountOptions& o, Output& out, Style style);

    Result<State> write(const Item& item) override;
    void skip(const Item& item) override { done(item.pos); }
    void reject(const Item& item, std::string_view reason) override;
    Result<State> flush(bool all) override;
    void wait(int ms) override;
    void tick() override;
    End finish(bool interrupted) override;

    void set_places(const Places* places) { places_ = places; }

private:
    struct Agg {
        uint64_t count = 0;
        uint64_t numbers = 0;  // records where the --sum/--avg/--min/--max path was a number
        double sum = 0, min = 0, max = 0;
    };
    struct Window {
        int64_t start = -1;  // -1: no windows (totals since the start)
        std::unordered_map<std::string, Agg> keys;
        uint64_t total = 0;
        bool capped = false;
    };
    struct Path {
        std::string spelling;
        std::optional<FastFilter> fast;
        JqFilter jq;
    };
    CountWriter(const CountOptions& o, Output& out, Style style) : o_(o), out_(out), style_(style) {}
    Result<Path> path(const std::string& expr, const std::string& option);
    // The path's value for the record: false when it yields none.
    Result<bool> eval(Path& p, const Item& item, FastFilter::Value& v);
    Window& window_for(int64_t ts);
    Result<State> emit(const Window& w, bool final);
    std::string table(const Window& w, bool live);
    std::string json(const Window& w);
    std::vector<std::pair<const std::string*, const Agg*>> ranked(const Window& w) const;

    CountOptions o_;
    Output& out_;
    Style style_;
    const Places* places_ = nullptr;
    std::vector<Path> by_;
    std::optional<Path> measure_;  // the one numeric path
    std::map<int64_t, Window> windows_;
    uint64_t late_ = 0;
    int64_t closed_until_ = INT64_MIN;  // windows before this one were written
    std::string key_, envelope_;
    EnvelopeWriter writer_;
    FastFilter::Value value_;
    std::vector<std::string> outputs_;
    std::unordered_map<std::string, uint64_t> last_counts_;  // live: counts at the last redraw
    std::chrono::steady_clock::time_point last_draw_ = std::chrono::steady_clock::now();
    int drawn_lines_ = 0;
    bool warned_cap_ = false;
};

}  // namespace kpipe
