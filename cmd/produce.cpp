// kpipe produce: input lines (JSON events, envelopes or text) into a topic, with the truth
// about every record: delivered, or reported with its file:line and the reason (and kept
// in --failed, ready to re-send). Source: lib/line_source; writer: lib/topic_writer.
#include <unistd.h>

#include <algorithm>

#include "command.hpp"
#include "event_fields.hpp"
#include "line_source.hpp"
#include "pacers.hpp"
#include "signals.hpp"
#include "topic_writer.hpp"

namespace kpipe::cli {
namespace {

struct ProduceOptions {
    std::string topic;
    std::vector<std::string> files;
    LineFormat format = LineFormat::json;
    std::string key_path;
    std::string timestamp_path;
    std::string key_delim;
    std::vector<std::string> headers;
    int32_t partition = -1;
    bool ignore_partition = false;
    OnError on_error = OnError::fail;
    std::string failed_path;
    bool progress = false;
    std::string compression;
    std::string linger;
    int64_t batch_size = 0;
    std::string delivery_timeout;
    double rate = 0;
    JqOptions jq;
    SchemaFlags schema;
    RegistryFlags registry;
};

Millis duration_flag(std::string_view flag, const std::string& text) {
    auto d = parse_duration(text);
    if (!d) throw Failure{{Exit::usage, fmt::format("{}: {}", flag, d.error().message)}};
    return *d;
}

std::vector<Header> parse_headers(const std::vector<std::string>& specs) {
    std::vector<Header> out;
    for (const auto& h : specs) {
        auto eq = h.find('=');
        if (eq == std::string::npos || eq == 0)
            throw Failure{{Exit::usage, fmt::format("-H {}: expected name=value", h)}};
        out.push_back({h.substr(0, eq), h.substr(eq + 1)});
    }
    return out;
}

TopicWriterOptions writer_options(const ProduceOptions& o, Cancel cancel) {
    TopicWriterOptions w;
    w.topic = o.topic;
    if (o.partition >= 0) w.partition = o.partition;
    w.keep_partition = !o.ignore_partition;
    w.headers = parse_headers(o.headers);
    if (!o.compression.empty()) w.properties["compression.type"] = o.compression;
    if (!o.linger.empty()) w.properties["linger.ms"] = std::to_string(duration_flag("--linger", o.linger).count());
    if (o.batch_size > 0) w.properties["batch.size"] = std::to_string(o.batch_size);
    if (!o.delivery_timeout.empty())
        w.properties["delivery.timeout.ms"] =
            std::to_string(duration_flag("--delivery-timeout", o.delivery_timeout).count());
    w.failed_path = o.failed_path;
    w.failed_label = "--failed " + o.failed_path;
    w.stop_note = "; stopped reading (--on-error skip reads on)";
    w.stop_on_bad = o.on_error == OnError::fail;
    w.progress = o.progress;
    w.cancel = cancel;
    return w;
}

LineOptions line_options(const ProduceOptions& o, uint64_t max_record, Cancel cancel) {
    auto usage = [](std::string msg) { throw Failure{{Exit::usage, std::move(msg)}}; };
    if (o.format != LineFormat::json && (!o.key_path.empty() || !o.timestamp_path.empty()))
        usage("--key and --timestamp read fields of JSON events: they need --format json");
    if (o.format != LineFormat::text && !o.key_delim.empty()) usage("--key-delim needs --format text");
    if (o.format != LineFormat::envelope && o.ignore_partition) usage("--ignore-partition needs --format envelope");
    if (o.format != LineFormat::json && (!o.jq.where.empty() || !o.jq.map.empty()))
        usage("--where and --map read JSON events: they need --format json");
    LineOptions l;
    l.files = o.files;
    l.format = o.format;
    l.key_delim = o.key_delim;
    l.max_record = max_record;
    l.cancel = cancel;
    return l;
}

Exit run_produce(const Settings& s, const ProduceOptions& o) {
    SignalGuard guard;
    Cancel cancel = SignalGuard::cancel();
    Places places;
    auto writer = value_or_throw(TopicWriter::open(s, writer_options(o, cancel), places));
    LineSource source(line_options(o, writer->max_record(), cancel), places);
    ok_or_throw(source.open());
    ok_or_throw(writer->check_topic());
    bool from_stdin = o.files.empty() || std::find(o.files.begin(), o.files.end(), "-") != o.files.end();
    if (from_stdin && isatty(STDIN_FILENO) && !s.quiet)
        fmt::print(stderr, "kpipe: reading {} lines from the terminal; end with Ctrl-D\n",
                   o.format == LineFormat::json ? "JSON" : o.format == LineFormat::envelope ? "envelope" : "text");

    std::optional<FieldPath> key, timestamp;
    if (!o.key_path.empty()) key = value_or_throw(FieldPath::parse(o.key_path));
    if (!o.timestamp_path.empty()) timestamp = value_or_throw(FieldPath::parse(o.timestamp_path));
    EventFields fields(std::move(key), std::move(timestamp));
    JqSteps jq(o.jq, {}, JqInput::value, MapOutput::value);
    Checks checks(o.schema, s, places, cancel);
    RegistrySteps registry(o.registry, s, places, false, true, o.topic);
    std::vector<Step*> steps;
    jq.add_to(steps);
    checks.add_to(steps);
    if (o.format == LineFormat::json) steps.push_back(&fields);
    registry.add_encode_to(steps);

    RatePacer pacer(o.rate);
    PumpOptions p;
    p.on_error = o.on_error;
    p.pacer = o.rate > 0 ? &pacer : nullptr;
    p.cancel = cancel;
    p.on_tick = [&](const RunStats& st) { writer->show_progress(st.pulled); };
    Outcome outcome = pump(source, steps, checks.wrap(*writer), p);
    Exit exit = conclude(outcome);
    if (!s.quiet)
        fmt::print(stderr, "{}\n", writer->summary("produce", outcome.stats.pulled, outcome.stats.bad));
    return exit;
}

}  // namespace

void register_produce(CLI::App& app, Commands& out) {
    auto o = std::make_shared<ProduceOptions>();
    auto* cmd = app.add_subcommand("produce", "Send JSON events (or envelopes, or text lines) from files or stdin to a topic");
    cmd->footer(
        "Every record is accounted for: exit 0 only when all were acknowledged (acks=all, idempotent).\n"
        "Failures are reported as FILE:LINE: reason ('<stdin>' for standard input); exit 3.\n"
        "Examples:\n"
        "  kpipe produce clickstream events.jsonl --key .userid\n"
        "  echo '{\"userid\":\"user123\",\"page\":\"/product123\",\"action\":\"view\"}' | kpipe produce clickstream\n"
        "  kpipe consume t | kpipe produce t2 --format envelope");
    cmd->add_option("topic", o->topic,
                    "Topic to send to; default: the profile's topic (an Event Hubs EntityPath), reading stdin");
    cmd->add_option("file", o->files, "Input files, read in order (*.gz and *.zst decompressed); '-' or none: stdin")->type_name("FILE");
    add_choice(*cmd, "--format", o->format,
               {{"json", LineFormat::json}, {"envelope", LineFormat::envelope}, {"text", LineFormat::text}},
               "Input lines: json (one JSON value per line, sent as is; blank lines skipped), envelope (as "
               "'kpipe consume' writes them: key, value, headers, timestamp, partition), text (each "
               "non-empty line's bytes)")
        ->type_name("FORMAT");
    cmd->add_option("-k,--key", o->key_path,
                    "Key from this field of each JSON event, e.g. .userid, .user.id, .items[0].id (strings as "
                    "text, other values as compact JSON; a missing or null field gives a null key). Same key, "
                    "same partition, as Java clients choose it")
        ->type_name("PATH");
    cmd->add_option("--timestamp", o->timestamp_path,
                    "Record timestamp from this field: epoch milliseconds or ISO-8601 (missing or null: now; 0 and "
                    "times before 1970 are bad input: Kafka cannot carry them)")
        ->type_name("PATH");
    cmd->add_option("--key-delim", o->key_delim, "With --format text: split each line at the first STR into key and value")
        ->type_name("STR");
    cmd->add_option("-H,--header", o->headers, "Add header name=value to every record (repeatable)")
        ->type_name("NAME=VALUE");
    cmd->add_option("-p,--partition", o->partition, "Send every record to this partition")
        ->check(whole_number<int32_t>(0))
        ->type_name("N");
    cmd->add_flag("--ignore-partition", o->ignore_partition,
                  "With --format envelope: let the partitioner choose instead of the envelope's partition");
    add_jq_options(*cmd, o->jq, "each JSON event",
                   "each becomes a record, whose key and timestamp --key and --timestamp then take from it");
    add_schema_options(*cmd, o->schema, "each JSON event");
    add_encode_options(*cmd, o->registry, true);
    add_on_error_option(*cmd, o->on_error,
                        "Bad input line (not JSON, not an envelope, not UTF-8, too large) or a jq error");
    cmd->add_option("--failed", o->failed_path,
                    "Write every record not delivered (and every bad line) to FILE as envelope lines, ready for "
                    "'kpipe produce TOPIC --format envelope FILE'")
        ->type_name("FILE");
    cmd->add_flag("--progress", o->progress, "Show a live counter on stderr when it is a terminal");

    const char* t = "Throughput";
    cmd->add_option("-z,--compression", o->compression, "Compression codec (default none)")
        ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}))
        ->type_name("CODEC")
        ->group(t);
    cmd->add_option("--linger", o->linger, "How long to wait to fill a batch, e.g. 5ms, 100ms (linger.ms; default 5ms)")
        ->type_name("DURATION")
        ->group(t);
    cmd->add_option("--batch-size", o->batch_size, "Largest batch in bytes (batch.size; default 1000000)")
        ->check(whole_number<int64_t>(1))
        ->type_name("BYTES")
        ->group(t);
    cmd->add_option("--delivery-timeout", o->delivery_timeout,
                    "How long a record is retried before it counts as failed, e.g. 30s, 2m (default 2m)")
        ->type_name("DURATION")
        ->group(t);
    cmd->add_option("--rate", o->rate, "Send at most N records per second")
        ->check(positive_number())
        ->type_name("N")
        ->group(t);
    out.push_back({cmd, [o](const Settings& s) {
                       ProduceOptions given = *o;
                       if (given.topic.empty()) given.topic = topics_or_default(s, {}).front();
                       return run_produce(s, given);
                   }});
}

}  // namespace kpipe::cli
