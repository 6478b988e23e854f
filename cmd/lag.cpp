// kpipe lag: how far behind each consumer group is, in records and in time, whether it
// is catching up (--watch), and CI gates (--max-lag, --max-time-lag).
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "kafka/groups.hpp"
#include "lag.hpp"
#include "signals.hpp"
#include "terminal.hpp"
#include "timestamp.hpp"

namespace kpipe::cli {
namespace {

using nlohmann::ordered_json;

struct LagOptions {
    Format format = Format::table;
    std::vector<std::string> groups;
    std::string topic;
    std::string watch;  // interval; empty: no watch
    int count = 0;      // with --watch: stop after this many samples (0: until Ctrl-C)
    int window = 10;    // samples kept per group for rates and status
    int64_t max_lag = -1;
    std::string max_time_lag;
    bool no_time_lag = false;
};

// What one group looked like over the samples kept, and what that says.
struct GroupView {
    const lag::Group* group = nullptr;
    lag::Verdict verdict;
    lag::Rates rates;                              // over the window; empty with one sample
    std::map<std::string, lag::Rates> topic_rates;
};

using Windows = std::map<std::string, std::vector<lag::Sample>>;

std::vector<GroupView> update(Windows& windows, const kafka::LagSnapshot& snap, size_t keep) {
    std::vector<GroupView> views;
    for (const auto& g : snap.groups) {
        auto& w = windows[g.name];
        w.push_back({snap.at_ms, g});
        if (w.size() > keep) w.erase(w.begin());
        GroupView v{&w.back().group, lag::evaluate(w, keep), {}, {}};
        if (w.size() >= 2) {
            const auto& first = w.front();
            v.rates = lag::rates(first.group, first.at_ms, g, snap.at_ms);
            for (const auto& t : lag::topic_names(g))
                v.topic_rates[t] = lag::rates(first.group, first.at_ms, g, snap.at_ms, t);
        }
        views.push_back(std::move(v));
    }
    return views;
}

// ---- JSON -------------------------------------------------------------------------

ordered_json opt(const std::optional<int64_t>& v) { return v ? ordered_json(*v) : ordered_json(nullptr); }
ordered_json opt(const std::optional<double>& v) {
    return v ? ordered_json(std::round(*v * 1000.0) / 1000.0) : ordered_json(nullptr);
}

ordered_json totals_json(const lag::Totals& t, const lag::Rates& r) {
    return {{"lag", t.lag},
            {"time_lag_ms", opt(t.time_lag_ms)},
            {"partitions", t.partitions},
            {"uncommitted", t.uncommitted},
            {"consume_rate", opt(r.consume_per_s)},
            {"produce_rate", opt(r.produce_per_s)},
            {"catch_up_ms", opt(r.catch_up_ms)}};
}

ordered_json document(const kafka::LagSnapshot& snap, const std::vector<GroupView>& views) {
    ordered_json groups = ordered_json::array();
    for (const auto& v : views) {
        const lag::Group& g = *v.group;
        ordered_json parts = ordered_json::array();
        for (const auto& p : g.partitions) {
            ordered_json owner = nullptr;
            if (p.owner) owner = {{"client_id", p.owner->client_id}, {"host", p.owner->host}};
            parts.push_back({{"topic", p.topic},
                             {"partition", p.partition},
                             {"committed", opt(p.committed)},
                             {"end", p.end},
                             {"lag", opt(p.lag())},
                             {"time_lag_ms", opt(p.time_lag_ms)},
                             {"owner", owner}});
        }
        ordered_json topics = ordered_json::array();
        for (const auto& t : lag::topic_names(g)) {
            ordered_json entry{{"topic", t}};
            auto it = v.topic_rates.find(t);
            entry.update(totals_json(lag::totals(g, t), it == v.topic_rates.end() ? lag::Rates{} : it->second));
            topics.push_back(std::move(entry));
        }
        groups.push_back({{"group", g.name},
                          {"state", g.state},
                          {"members", g.members},
                          {"status", lag::status_name(v.verdict.status)},
                          {"reason", v.verdict.reason},
                          {"totals", totals_json(lag::totals(g), v.rates)},
                          {"topics", std::move(topics)},
                          {"partitions", std::move(parts)}});
    }
    return {{"time", snap.at_ms}, {"groups", std::move(groups)}};
}

// ---- table ------------------------------------------------------------------------

std::string dash(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }
std::string age(const std::optional<int64_t>& ms) {
    if (!ms) return "-";
    return *ms == 0 ? "0s" : format_duration(Millis(*ms));
}
std::string rate(const std::optional<double>& r) { return r ? fmt::format("{:.1f}", *r) : "-"; }

std::string_view status_color(const Style& st, lag::Status s) {
    switch (s) {
        case lag::Status::ok: return st.green();
        case lag::Status::warn: return st.yellow();
        case lag::Status::stall:
        case lag::Status::stop: return st.red();
    }
    return "";
}

std::string render_group(const GroupView& v, const Style& st, bool with_rates) {
    const lag::Group& g = *v.group;
    lag::Totals all = lag::totals(g);
    std::string out = fmt::format("{}{}{}  {}, {} member{}  lag {}", st.bold(), g.name, st.reset(), g.state, g.members,
                                  g.members == 1 ? "" : "s", all.lag);
    if (all.time_lag_ms) out += fmt::format(" ({} behind)", age(all.time_lag_ms));
    if (with_rates)
        out += fmt::format("  consume {}/s  produce {}/s  catch-up {}", rate(v.rates.consume_per_s),
                           rate(v.rates.produce_per_s), age(v.rates.catch_up_ms));
    out += fmt::format("  {}{}{} {}{}{}\n", status_color(st, v.verdict.status), lag::status_name(v.verdict.status),
                       st.reset(), st.dim(), v.verdict.reason, st.reset());
    if (g.partitions.empty()) return out + fmt::format("  {}(no partitions){}\n\n", st.dim(), st.reset());

    std::vector<std::string> headers{"TOPIC", "PARTITION", "COMMITTED", "END", "LAG", "TIME LAG", "CLIENT", "HOST"};
    if (with_rates) headers.insert(headers.end(), {"CONSUME/S", "PRODUCE/S", "CATCH-UP"});
    Table table(headers, st);
    for (size_t c : {1, 2, 3, 4, 5, 8, 9, 10}) table.right_align(c);
    auto topics = lag::topic_names(g);
    for (const auto& t : topics) {
        for (const auto& p : g.partitions) {
            if (p.topic != t) continue;
            table.add({p.topic, std::to_string(p.partition), dash(p.committed), std::to_string(p.end), dash(p.lag()),
                       age(p.time_lag_ms), p.owner ? p.owner->client_id : "-", p.owner ? p.owner->host : "-"});
        }
        lag::Totals tt = lag::totals(g, t);
        std::vector<std::string> row{t, "all", "", "", std::to_string(tt.lag), age(tt.time_lag_ms), "", ""};
        if (with_rates) {
            auto it = v.topic_rates.find(t);
            lag::Rates r = it == v.topic_rates.end() ? lag::Rates{} : it->second;
            row.insert(row.end(), {rate(r.consume_per_s), rate(r.produce_per_s), age(r.catch_up_ms)});
        }
        table.add(std::move(row));
    }
    return out + table.render() + "\n";
}

std::string render(const std::vector<GroupView>& views, const Style& st, bool with_rates, bool named) {
    if (views.empty()) return named ? "" : fmt::format("{}(no consumer groups){}\n", st.dim(), st.reset());
    std::string out;
    for (const auto& v : views) out += render_group(v, st, with_rates);
    return out;
}

// ---- output -----------------------------------------------------------------------


// Exit code for a sample: missing groups, then thresholds; offenders listed on stderr.
Exit check(const kafka::LagSnapshot& snap, const lag::Limits& limits, const Settings& s, bool watching) {
    for (const auto& g : snap.missing) fmt::print(stderr, "kpipe: consumer group '{}' does not exist\n", g);
    for (const auto& n : snap.nodes_down) fmt::print(stderr, "kpipe: warning: {}\n", n);
    if (!snap.missing.empty()) return Exit::not_found;
    auto bad = lag::offenders(snap.groups, limits);
    for (const auto& b : bad) {
        if (b.time)
            fmt::print(stderr, "kpipe: {}: time lag {} exceeds --max-time-lag {}\n", b.where,
                       format_duration(Millis(b.value)), format_duration(Millis(b.limit)));
        else
            fmt::print(stderr, "kpipe: {}: lag {} exceeds --max-lag {}\n", b.where, b.value, b.limit);
    }
    if (!bad.empty()) return Exit::threshold;
    auto unknown = lag::unverified(snap.groups, limits);
    if (unknown.empty()) return Exit::ok;
    if (!s.quiet || !watching)
        fmt::print(stderr, "kpipe: time lag unknown (no record read within {}) for {}{}\n", format_duration(s.timeout),
                   unknown.front(), unknown.size() > 1 ? fmt::format(" and {} more", unknown.size() - 1) : "");
    return watching ? Exit::ok : Exit::runtime;
}

Millis duration_option(const std::string& text, std::string_view flag, std::string_view hint = "") {
    auto d = parse_duration(text);
    if (!d) throw Failure{{Exit::usage, fmt::format("{}: {}{}", flag, d.error().message, hint)}};
    return *d;
}

Exit run_lag(const Settings& s, const LagOptions& o, bool format_given) {
    lag::Limits limits;
    if (o.max_lag >= 0) limits.max_lag = o.max_lag;
    if (!o.max_time_lag.empty()) limits.max_time_lag_ms = duration_option(o.max_time_lag, "--max-time-lag").count();
    const bool watching = !o.watch.empty();
    Millis interval{0};
    if (watching) {
        interval = duration_option(o.watch, "--watch", "; name groups before --watch, or write --watch=INTERVAL");
        if (interval.count() < 100)
            throw Failure{{Exit::usage, fmt::format("--watch: interval must be at least 100ms, got {}", o.watch)}};
    }
    if (o.count > 0 && !watching) throw Failure{{Exit::usage, "--count needs --watch"}};

    const bool terminal = is_terminal(stdout);
    Format format = o.format;
    if (watching && !format_given && !terminal) format = Format::json;
    Style style{use_color(s, stdout)};

    kafka::LagQuery q{o.groups, o.topic.empty() ? std::nullopt : std::optional(o.topic), !o.no_time_lag};
    auto admin = value_or_throw(kafka::Client::create(s, kafka::Role::admin));
    Windows windows;

    if (!watching) {
        auto snap = value_or_throw(kafka::observe_lag(admin, q));
        auto views = update(windows, snap, static_cast<size_t>(o.window));
        bool written = print_stdout(format == Format::json ? document(snap, views).dump() + "\n"
                                                   : render(views, style, false, !o.groups.empty()));
        return written ? check(snap, limits, s, false) : Exit::ok;
    }

    SignalGuard guard;
    Cancel cancel = SignalGuard::cancel();
    using Clock = std::chrono::steady_clock;
    auto next = Clock::now();
    for (int n = 1;; ++n) {
        auto snap = value_or_throw(kafka::observe_lag(admin, q));
        if (cancel.requested()) return Exit::ok;
        auto views = update(windows, snap, static_cast<size_t>(o.window));
        std::string out;
        if (format == Format::json) {
            out = document(snap, views).dump() + "\n";
        } else {
            if (terminal) out = "\x1b[H\x1b[2J";
            out += fmt::format("{}kpipe lag every {}, {} (Ctrl-C to stop){}\n\n", style.dim(),
                               format_duration(interval), format_local_time(snap.at_ms, false), style.reset());
            out += render(views, style, true, !o.groups.empty());
        }
        if (!print_stdout(out)) return Exit::ok;
        if (Exit e = check(snap, limits, s, true); e != Exit::ok) return e;
        if (o.count > 0 && n >= o.count) return Exit::ok;
        next += interval;
        while (Clock::now() < next) {
            if (cancel.requested()) return Exit::ok;
            std::this_thread::sleep_for(std::min<Clock::duration>(next - Clock::now(), Millis(50)));
        }
        if (Clock::now() > next + interval) next = Clock::now();  // a slow sample: do not try to catch up
    }
}

}  // namespace

void register_lag(CLI::App& app, Commands& out) {
    auto o = std::make_shared<LagOptions>();
    auto* lag = app.add_subcommand(
        "lag", "Consumer-group lag in records and time, with watch mode, Burrow-style status and CI thresholds");
    lag->footer(
        "Per group, topic and partition: committed offset, log end offset, lag in records, time lag (how old\n"
        "the record at the committed offset is; 0 when caught up) and the member owning the partition;\n"
        "totals per topic and group. Partitions without a committed offset show '-' (null in JSON).\n"
        "Status over the last --window samples: OK; WARN lag rising across the window; STALL lag above zero\n"
        "and the committed offset not moving while the group has members; STOP lag above zero, no members\n"
        "and no commits. WARN and STALL need --watch and a full window. Rates are over the window.\n"
        "JSON (-o json, and --watch when piped): {\"time\", \"groups\": [{\"group\", \"state\", \"members\",\n"
        "\"status\", \"reason\", \"totals\", \"topics\": [...], \"partitions\": [{\"topic\", \"partition\",\n"
        "\"committed\", \"end\", \"lag\", \"time_lag_ms\", \"owner\": {\"client_id\", \"host\"}}]}]}; totals and\n"
        "topics hold lag, time_lag_ms, partitions, uncommitted, consume_rate, produce_rate (records/s) and\n"
        "catch_up_ms (rates need two samples).\n"
        "Exit codes: 0 ok; 4 cannot reach the cluster within --timeout; 5 a named group or --topic does not\n"
        "exist; 6 a partition exceeds --max-lag or --max-time-lag (offenders listed on stderr); 1 a time\n"
        "threshold could not be checked (no record read within --timeout).\n"
        "Example: kpipe lag payments --max-time-lag 5m || alert");
    lag->add_option("group", o->groups, "Consumer groups (default: every group)");
    lag->add_option("-t,--topic", o->topic, "Only this topic")->type_name("TOPIC");
    add_format_option(*lag, o->format);
    lag->add_option("--watch", o->watch,
                    "Sample every INTERVAL (default 2s) with consume/produce rates, catch-up estimate and status; "
                    "redraws on a terminal, one JSON document per sample when piped; Ctrl-C stops (exit 0)")
        ->expected(0, 1)
        ->default_str("2s")
        ->type_name("INTERVAL");
    lag->add_option("--count", o->count, "With --watch: stop after N samples")
        ->check(whole_number(1))
        ->type_name("N");
    lag->add_option("--window", o->window,
                    "With --watch: samples kept per group for rates and status; WARN and STALL need a full window "
                    "(default 10)")
        ->check(whole_number(2, 1000))
        ->type_name("N");
    lag->add_option("--max-lag", o->max_lag, "Exit 6 when a partition's lag exceeds N records")
        ->check(whole_number<int64_t>(0))
        ->type_name("N");
    lag->add_option("--max-time-lag", o->max_time_lag, "Exit 6 when a partition's time lag exceeds DURATION (e.g. 5m)")
        ->type_name("DURATION");
    lag->add_flag("--no-time-lag", o->no_time_lag, "Do not read records to measure time lag (records only)");
    const CLI::Option* output = lag->get_option("--output");
    out.push_back({lag, [o, output](const Settings& s) { return run_lag(s, *o, output->count() > 0); }});
}

}  // namespace kpipe::cli
