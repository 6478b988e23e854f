// kpipe tail: a live view of a topic. On a terminal one compact line per record; piped,
// the same JSON envelope lines as consume. Never joins a group or commits.
// Source: lib/topic_source; writer: lib/stdout_writer with lib/tail_view's printers.
#include <unistd.h>

#include "command.hpp"
#include "signals.hpp"
#include "stdout_writer.hpp"
#include "tail_view.hpp"
#include "timestamp.hpp"
#include "topic_source.hpp"

namespace kpipe::cli {
namespace {

struct TailOptions {
    std::vector<std::string> topics;
    int64_t last = -1;
    std::string since;
    std::string partitions;
    bool wrap = false;
    bool stats = false;
    bool iso_time = false;
    JqOptions jq;
    OnError on_error = OnError::fail;
    CountFlags count;
    SchemaFlags schema;
    RegistryFlags registry;
};

TopicSourceOptions source_options(const Settings& s, const TailOptions& o, Cancel cancel) {
    if (o.last >= 0 && !o.since.empty()) throw Failure{{Exit::usage, "tail: give -n or --since, not both"}};
    TopicSourceOptions r;
    r.topics = o.topics;
    std::string from = "end";
    if (o.last >= 0) from = fmt::format("-{}", o.last);
    if (!o.since.empty()) {
        value_or_throw(parse_duration(o.since));  // names --since's value when it is wrong
        from = "@-" + o.since;
    }
    r.plan = value_or_throw(parse_offset_plan(from, "", now_ms(), kOffsetFlags));
    r.from_given = true;
    if (!o.partitions.empty()) r.partitions = value_or_throw(parse_partition_list(o.partitions));
    r.report_outages = is_terminal(stderr) || s.verbosity >= 1;
    r.cancel = cancel;
    return r;
}

Exit run_tail(const Settings& s, const TailOptions& o) {
    SignalGuard guard;
    Cancel cancel = SignalGuard::cancel();
    Places places;
    RegistrySteps registry(o.registry, s, places, true, false, "");
    auto source = value_or_throw(TopicSource::open(s, source_options(s, o, cancel), places));
    bool terminal = is_terminal(stdout);
    std::unique_ptr<Printer> lines;
    if (terminal) {
        bool multi = o.topics.size() > 1 || o.topics.front().starts_with('^');
        lines = std::make_unique<CompactLine>(Style{use_color(s, stdout)},
                                              o.wrap ? -1L : static_cast<long>(terminal_width(stdout)), multi);
    } else {
        PrintOptions po;
        po.envelope.iso_time = o.iso_time;
        if (!o.jq.map.empty()) po.format = OutputFormat::value;
        lines = value_or_throw(RecordPrinter::create(po));
    }
    JqSteps jq(o.jq, {o.iso_time}, JqInput::envelope, MapOutput::value);
    std::vector<Step*> steps;
    registry.add_decode_to(steps);
    jq.add_to(steps);
    std::optional<TailStats> stats;
    if (o.stats) stats.emplace(*lines, is_terminal(stderr), Style{use_color(s, stderr)});
    Output out(STDOUT_FILENO, terminal ? 16 * 1024 : 256 * 1024, cancel);
    StdoutWriter lines_out(out, stats ? static_cast<Printer&>(*stats) : *lines, places);
    std::unique_ptr<CountWriter> counter;
    if (o.count.given()) {
        auto show = terminal ? CountOptions::Show::live : CountOptions::Show::stream;
        counter = value_or_throw(CountWriter::create(count_options(o.count, o.iso_time, show), out, Style{use_color(s, stdout)}));
        counter->set_places(&places);
    }
    Checks checks(o.schema, s, places, cancel);
    Writer& writer = checks.wrap(counter ? static_cast<Writer&>(*counter) : lines_out);
    checks.add_to(steps);
    PumpOptions p;
    p.cancel = cancel;
    p.on_error = o.on_error;
    Exit exit = conclude(pump(*source, steps, writer, p));
    registry.report();
    return exit;
}

}  // namespace

void register_tail(CLI::App& app, Commands& out) {
    auto o = std::make_shared<TailOptions>();
    auto* t = app.add_subcommand("tail", "Follow a topic live: new records as they arrive, until Ctrl-C");
    t->footer(
        "On a terminal each record is one line: local time, partition/offset, key and value (JSON coloured,\n"
        "cut to the terminal width unless --wrap). Piped, tail writes the same JSON envelope lines as consume.\n"
        "Never joins a consumer group or commits offsets. Ctrl-C exits 0.\n"
        "When every broker is gone, tail says so on stderr (on a terminal, or with -v), waits for them and says\n"
        "when they are back.");
    t->add_option("topic", o->topics,
                  "Topic names, or regexes starting with ^; default: the profile's topic (an Event Hubs EntityPath)")
        ->type_name("TOPIC");
    t->add_option("-n,--last", o->last, "First show the last N records of each partition")
        ->type_name("N")
        ->check(whole_number<int64_t>(0));
    t->add_option("--since", o->since, "First show records from this long ago, e.g. 5m")->type_name("DURATION");
    t->add_option("-p,--partition", o->partitions, "Only these partitions, e.g. 0,2,5-7")->type_name("LIST");
    t->add_flag("--wrap", o->wrap, "On a terminal, show long values whole instead of cutting them");
    t->add_flag("--stats", o->stats, "Status line on stderr every second: records/s and bytes/s, total and per partition");
    add_choice(*t, "--time-format", o->iso_time, {{"ms", false}, {"iso", true}},
               "Piped output timestamps: ms (epoch milliseconds) or iso")
        ->type_name("FORMAT");
    add_jq_options(*t, o->jq, "the envelope", "each is shown as the record's value (piped: one compact JSON line)");
    add_schema_options(*t, o->schema, "each record's value");
    add_decode_options(*t, o->registry);
    add_count_options(*t, o->count);
    add_on_error_option(*t, o->on_error, "A record --where or --map fails on (a jq error)");
    out.push_back({t, [o](const Settings& s) {
                       TailOptions given = *o;
                       given.topics = topics_or_default(s, given.topics);
                       return run_tail(s, given);
                   }});
}

}  // namespace kpipe::cli
