// kpipe consume: records out as lossless JSON lines (or values, or a template).
// Source: lib/topic_source; step: lib/where (--filter); writer: lib/stdout_writer.
#include <unistd.h>

#include "command.hpp"
#include "signals.hpp"
#include "stdout_writer.hpp"
#include "terminal.hpp"
#include "timestamp.hpp"
#include "topic_source.hpp"

namespace kpipe::cli {
namespace {

struct ConsumeOptions {
    std::vector<std::string> topics;
    std::string group;
    bool no_commit = false;
    std::string commit_interval = "250ms";
    std::string from;
    std::string until;
    std::string partitions;
    int64_t count = -1;
    bool exit_at_end = false;
    std::string idle;
    enum class Shown { envelope, value, table, json } output = Shown::envelope;
    CountFlags counting;
    std::string format;
    bool iso_time = false;
    JqOptions jq;
    SchemaFlags schema;
    RegistryFlags registry;
    OnError on_error = OnError::fail;
    bool wait_for_topic = false;
    bool pipe_batch = false;
};

TopicSourceOptions source_options(const Settings& s, const ConsumeOptions& o, Cancel cancel) {
    TopicSourceOptions r;
    r.topics = o.topics;
    if (!o.group.empty()) r.group = o.group;
    r.commit = !o.no_commit;
    r.commit_interval = value_or_throw(parse_duration(o.commit_interval));
    r.plan = value_or_throw(parse_offset_plan(o.from, o.until, now_ms(), kOffsetFlags));
    r.from_given = !o.from.empty();
    if (!o.partitions.empty()) r.partitions = value_or_throw(parse_partition_list(o.partitions));
    r.exit_at_end = o.exit_at_end;
    r.wait_for_topic = o.wait_for_topic;
    r.report_outages = is_terminal(stderr) || s.verbosity >= 1;
    r.cancel = cancel;
    return r;
}

Exit run_consume(const Settings& s, const ConsumeOptions& o) {
    SignalGuard guard;
    Cancel cancel = SignalGuard::cancel();
    PrintOptions po;
    using Shown = ConsumeOptions::Shown;
    if ((o.output == Shown::table || o.output == Shown::json) && !o.counting.given())
        throw Failure{{Exit::usage, "--output table and json show --count-by's counts: give --count-by"}};
    po.format = !o.format.empty()                                  ? OutputFormat::template_
                : !o.jq.map.empty() || o.output == Shown::value ? OutputFormat::value
                                                                 : OutputFormat::envelope;
    po.template_text = o.format;
    po.envelope.iso_time = o.iso_time;
    auto printer = value_or_throw(RecordPrinter::create(po));
    JqSteps jq(o.jq, po.envelope, JqInput::envelope, MapOutput::value);
    PumpOptions p;
    p.limit = o.count;
    p.on_error = o.on_error;
    if (!o.idle.empty()) p.idle = value_or_throw(parse_duration(o.idle));
    p.cancel = cancel;

    Places places;
    RegistrySteps registry(o.registry, s, places, true, false, "");
    auto opened = TopicSource::open(s, source_options(s, o, cancel), places);
    if (!opened && opened.error().code == Exit::not_found && !o.wait_for_topic)
        opened.error().message += " (--wait-for-topic waits for it)";
    auto source = value_or_throw(std::move(opened));
    Output out(STDOUT_FILENO, 256 * 1024, cancel);
    // With a group reading into a pipe, a record counts as written once the reader has
    // taken it out of the pipe: `| head -n 5` commits exactly five.
    out.set_exact(!o.group.empty() && !o.no_commit && !o.pipe_batch);
    StdoutWriter lines(out, *printer, places);
    std::unique_ptr<CountWriter> counter;
    if (o.counting.given()) {
        auto show = o.output == Shown::json ? CountOptions::Show::json : CountOptions::Show::table;
        counter = value_or_throw(CountWriter::create(count_options(o.counting, o.iso_time, show), out, Style{use_color(s, stdout)}));
        counter->set_places(&places);
    }
    Checks checks(o.schema, s, places, cancel);
    Writer& writer = checks.wrap(counter ? static_cast<Writer&>(*counter) : lines);
    std::vector<Step*> steps;
    registry.add_decode_to(steps);
    jq.add_to(steps);
    checks.add_to(steps);
    Exit exit = conclude(pump(*source, steps, writer, p));
    registry.report();
    return exit;
}

}  // namespace

void register_consume(CLI::App& app, Commands& out) {
    auto o = std::make_shared<ConsumeOptions>();
    auto* c = app.add_subcommand("consume", "Read records and write them to stdout as JSON lines");
    c->footer(
        "Output: one JSON envelope per line (lossless; `kpipe produce --format envelope` reads it back):\n"
        "  {\"topic\":..,\"partition\":..,\"offset\":..,\"timestamp\":..,\"timestamp_type\":..,\"key\":..,\"value\":..,"
        "\"headers\":[[name,value],..]}\n"
        "  key/value are embedded as JSON when they are JSON, else strings with key_encoding/value_encoding\n"
        "  \"text\" or \"base64\". With a schema registry, a key/value in its wire format is shown decoded\n"
        "  (Avro, Protobuf, JSON Schema) and followed by key_schema/value_schema {type, subject, id}.\n"
        "Offsets (--from/--until): beginning | end | stored | N | +N (N after the log start) | -N (N before\n"
        "  the end) | @TIME (epoch ms, ISO-8601, or a duration ago: @-1h); ranges FROM:TO (TO exclusive);\n"
        "  per partition P=SPEC, e.g. --from 0=100,1=end, or end,0=100 (a bare spec for the other partitions).\n"
        "Template (-f): %t topic  %p partition  %o offset  %k key  %s value  %T timestamp  %h headers\n"
        "  (name=value,...)  %K key length  %S value length (-1 when null)  %% percent;\n"
        "  escapes \\n \\t \\r \\\\ \\0.\n"
        "Exit: 0 at the end (-e, --until, -n, --idle), on a broken pipe, and on Ctrl-C when reading without\n"
        "  an end; 130 on Ctrl-C before -e/-n/--until were reached; 5 unknown topic; 4 broker unreachable.\n"
        "Outage: when every broker is gone, consume says so on stderr (on a terminal, or with -v) and when they\n"
        "  are back; a run with an end (-e, --until) gives up after --timeout with exit 4; one without waits.");
    c->add_option("topic", o->topics,
                  "Topic names, or regexes starting with ^ (e.g. '^click.*'); default: the profile's topic (an Event "
                  "Hubs EntityPath)")
        ->type_name("TOPIC");
    c->add_option("-g,--group", o->group,
                  "Join consumer group NAME: partitions are shared with the group's other members and offsets "
                  "are committed only for records already written to stdout")
        ->type_name("NAME");
    c->add_flag("--no-commit", o->no_commit, "With -g: read with the group but commit nothing");
    c->add_option("--commit-interval", o->commit_interval,
                  "With -g: commit the offsets of records already written this often, asynchronously (default "
                  "250ms; also on rebalance and at exit), so a killed consumer re-reads little")
        ->type_name("DURATION");
    c->add_option("--from", o->from,
                  "Where to start (default: beginning; with -g the group's committed offset, or beginning for a "
                  "new group); FROM:TO also sets the end. With -g it applies to the partitions of this run's "
                  "first assignment only: partitions assigned after a rebalance continue from the group's "
                  "committed offset")
        ->type_name("SPEC");
    c->add_option("--until", o->until, "Stop before this offset (exclusive), per partition")->type_name("SPEC");
    c->add_option("-p,--partition", o->partitions, "Only these partitions, e.g. 0,2,5-7 (not with -g)")
        ->type_name("LIST");
    c->add_option("-n,--count", o->count, "Exit after writing N records")->type_name("N")->check(whole_number<int64_t>(0));
    c->add_flag("-e,--exit-at-end", o->exit_at_end,
                "Exit 0 once every assigned partition reaches the end it had when reading started (also with "
                "compaction gaps, transactions and -g)");
    c->add_option("--idle", o->idle, "Exit 0 after DURATION without a record, e.g. 5s")->type_name("DURATION");
    using Shown = ConsumeOptions::Shown;
    auto* output = add_choice(*c, "-o,--output", o->output,
                              {{"envelope", Shown::envelope}, {"value", Shown::value}, {"table", Shown::table},
                               {"json", Shown::json}},
                              "envelope (JSON line, default) or value (the value bytes and a newline); with "
                              "--count-by: table (default) or json")
                       ->type_name("FORMAT");
    c->add_option("-f,--format", o->format, "Write each record with this template instead (tokens below)")
        ->type_name("TEMPLATE")
        ->excludes(output);
    add_choice(*c, "--time-format", o->iso_time, {{"ms", false}, {"iso", true}},
               "Timestamps in the envelope and %T: ms (epoch milliseconds) or iso (ISO-8601 UTC)")
        ->type_name("FORMAT");
    add_jq_options(*c, o->jq, "the envelope",
                   "each is written as one compact JSON line (or through -f as the value)");
    add_schema_options(*c, o->schema, "each record's value");
    add_decode_options(*c, o->registry);
    add_count_options(*c, o->counting);
    add_on_error_option(*c, o->on_error,
                        "A record --where or --map fails on (a jq error; with fail nothing from it on is committed)");
    c->add_flag("--wait-for-topic", o->wait_for_topic, "Wait for a missing topic to appear instead of exiting 5");
    c->add_flag("--pipe-batch", o->pipe_batch,
                "With -g into a pipe: write in large chunks (faster) and count records as written once the pipe "
                "took them, so `| head` may leave more committed than it printed");
    out.push_back({c, [o](const Settings& s) {
                       ConsumeOptions given = *o;
                       given.topics = topics_or_default(s, given.topics);
                       return run_consume(s, given);
                   }});
}

}  // namespace kpipe::cli
