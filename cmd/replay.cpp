// kpipe replay: re-send recorded (envelope files) or past (topic windows) records into a
// topic, exactly as they were, at their own pace or faster, resumable with a checkpoint.
// Sources: lib/line_source, lib/topic_source, merged by time in lib/merge_source; steps:
// lib/where, lib/map_step, lib/schema_check, lib/record_steps; pacers: lib/pacers; writer:
// lib/topic_writer (behind lib/dead_letter with --dead-letter), or
// lib/dry_run). With --group: rewinds a consumer group instead (lib/rewind).
#include <set>

#include "checkpoint.hpp"
#include "command.hpp"
#include "dry_run.hpp"
#include "line_source.hpp"
#include "merge_source.hpp"
#include "pacers.hpp"
#include "record_steps.hpp"
#include "rewind.hpp"
#include "signals.hpp"
#include "terminal.hpp"
#include "timestamp.hpp"
#include "topic_source.hpp"
#include "topic_writer.hpp"

namespace kpipe::cli {
namespace {

struct ReplayOptions {
    std::vector<std::string> sources;
    std::string to;
    std::string to_profile;
    std::string from;
    std::string until;
    std::string speed = "max";
    double rate = 0;
    std::string max_gap;
    std::string partition = "keep";
    TimestampRule timestamp = TimestampRule::keep;
    std::vector<std::string> headers;
    bool header_origin = false;
    JqOptions jq;
    SchemaFlags schema;
    bool dry_run = false;
    bool allow_loop = false;
    std::string checkpoint;
    std::string failed_path;
    OnError on_error = OnError::fail;
    RegistryFlags registry;
    bool progress = false;
    std::string delivery_timeout;
    std::string compression;
    // --group: rewind a consumer group
    std::string group;
    std::string topic;
    std::string partitions;
    bool execute = false;
    Format format = Format::table;
};

constexpr std::string_view topic_prefix = "topic:";

// "2x", "0.5x", "10", "max": a factor; 0 for max.
double parse_speed(const std::string& text) {
    if (text == "max") return 0;
    std::string t = text;
    if (!t.empty() && (t.back() == 'x' || t.back() == 'X')) t.pop_back();
    char* end = nullptr;
    double f = std::strtod(t.c_str(), &end);
    if (t.empty() || *end != '\0' || !(f > 0) || f > 1e6)
        throw Failure{{Exit::usage, fmt::format("--speed {}: expected max or a factor like 1x, 2x, 0.5x", text)}};
    return f;
}

// The target cluster: this one, or the profile --to-profile names (its own settings only:
// -b, -X and KPIPE_BROKERS say where the sources are).
Settings target_settings(const Settings& s, const SettingsInput& in, const ReplayOptions& o) {
    if (o.to_profile.empty()) return s;
    SettingsInput t = in;
    t.profile = o.to_profile;
    t.brokers.reset();
    t.properties.clear();
    EnvLookup env = [all = process_env()](std::string_view name) -> std::optional<std::string> {
        if (name == "KPIPE_BROKERS" || name == "KPIPE_PROFILE") return std::nullopt;
        return all(name);
    };
    return value_or_throw(resolve_settings(t, env));
}

// What a checkpoint is of: the sources, their window and the target.
std::string fingerprint(const ReplayOptions& o) {
    std::string f;
    for (const auto& s : o.sources) f += s + " ";
    if (!o.from.empty()) f += "--from " + o.from + " ";
    if (!o.until.empty()) f += "--until " + o.until + " ";
    return f + "-> " + o.to + (o.to_profile.empty() ? "" : " (" + o.to_profile + ")");
}

[[noreturn]] void refuse_loop(const std::string& topic) {
    throw Failure{{Exit::usage, fmt::format("topic:{} is the target itself: replaying a topic into itself doubles "
                                            "it (--allow-loop to do it anyway)", topic)}};
}

struct Sources {
    std::vector<std::unique_ptr<Source>> all;
    std::vector<TopicSource*> topics;
    bool multi_lane = false;  // some source has several ordered streams (partitions)
};

// `same_cluster`: the target is on the sources' cluster (a topic there may be the target).
Sources open_sources(const Settings& s, const ReplayOptions& o, bool same_cluster, uint64_t max_record,
                     const CheckpointState& resume, Places& places, Cancel cancel) {
    Sources out;
    OffsetPlan plan = value_or_throw(parse_offset_plan(o.from, o.until, now_ms(), kOffsetFlags));
    bool loop_ok = o.allow_loop || o.dry_run || !same_cluster;
    std::set<std::string> seen;
    for (const auto& spec : o.sources) {
        if (!seen.insert(spec).second) throw Failure{{Exit::usage, fmt::format("source {} is given twice", spec)}};
        if (!spec.starts_with(topic_prefix)) {
            LineOptions l;
            l.files = {spec};
            l.format = LineFormat::envelope;
            l.max_record = max_record;
            l.resume = resume.lines;
            l.cancel = cancel;
            auto src = std::make_unique<LineSource>(std::move(l), places);
            ok_or_throw(src->open());
            out.all.push_back(std::move(src));
            continue;
        }
        std::string name = spec.substr(topic_prefix.size());
        if (name.empty()) throw Failure{{Exit::usage, "topic: needs a topic name, e.g. topic:clickstream"}};
        if (name == o.to && !loop_ok) refuse_loop(name);
        TopicSourceOptions t;
        t.topics = {name};
        t.plan = plan;
        t.from_given = !o.from.empty();
        t.exit_at_end = true;  // a replay ends: at --until, or where the topic ended when it started
        t.resume = resume.offsets;
        t.ends = resume.ends;
        t.report_outages = is_terminal(stderr) || s.verbosity >= 1;
        t.cancel = cancel;
        auto src = value_or_throw(TopicSource::open(s, std::move(t), places));
        for (const auto& w : src->windows())
            if (w.tp.topic == o.to && !loop_ok) refuse_loop(spec.substr(topic_prefix.size()));  // a regex
        out.multi_lane = out.multi_lane || src->lanes().size() > 1;
        out.topics.push_back(src.get());
        out.all.push_back(std::move(src));
    }
    if (out.topics.empty() && (!o.from.empty() || !o.until.empty()))
        throw Failure{{Exit::usage, "--from and --until select records of topic: sources"}};
    return out;
}

TopicWriterOptions writer_options(const ReplayOptions& o, Cancel cancel) {
    TopicWriterOptions w;
    w.topic = o.to;
    w.stamp_now = o.timestamp == TimestampRule::now;  // after pacing: the records paced by their own
    if (o.partition == "key") w.keep_partition = false;
    else if (o.partition != "keep") {
        char* end = nullptr;
        long p = std::strtol(o.partition.c_str(), &end, 10);
        if (o.partition.empty() || *end != '\0' || p < 0 || p > 999999)
            throw Failure{{Exit::usage, fmt::format("--partition {}: expected keep, key or a partition number", o.partition)}};
        w.partition = static_cast<int32_t>(p);
    }
    for (const auto& h : o.headers) {
        auto eq = h.find('=');
        if (eq == std::string::npos || eq == 0) throw Failure{{Exit::usage, fmt::format("-H {}: expected name=value", h)}};
        w.headers.push_back({h.substr(0, eq), h.substr(eq + 1)});
    }
    if (!o.compression.empty()) w.properties["compression.type"] = o.compression;
    if (!o.delivery_timeout.empty()) {
        auto d = parse_duration(o.delivery_timeout);
        if (!d) throw Failure{{Exit::usage, fmt::format("--delivery-timeout: {}", d.error().message)}};
        w.properties["delivery.timeout.ms"] = std::to_string(d->count());
    }
    w.failed_path = o.failed_path;
    w.failed_label = "--failed " + o.failed_path;
    w.stop_note = "; stopped (--on-error skip goes on)";
    w.stop_on_bad = o.on_error == OnError::fail;
    w.progress = o.progress || is_terminal(stderr);
    w.cancel = cancel;
    return w;
}

Exit run_rewind(const Settings& s, const ReplayOptions& o) {
    if (!o.sources.empty() || !o.to.empty())
        throw Failure{{Exit::usage, "--group rewinds a consumer group: give no sources and no --to"}};
    if (o.from.empty()) throw Failure{{Exit::usage, "--group needs --from: where to rewind to, e.g. @-1h"}};
    if (!o.until.empty()) throw Failure{{Exit::usage, "--until means nothing for a rewind"}};
    OffsetPlan plan = value_or_throw(parse_offset_plan(o.from, "", now_ms(), kOffsetFlags));
    std::vector<int32_t> parts;
    if (!o.partitions.empty()) parts = value_or_throw(parse_partition_list(o.partitions));
    auto admin = value_or_throw(kafka::Client::create(s, kafka::Role::admin));
    RewindPlan rewind = value_or_throw(plan_rewind(admin, o.group, o.topic, parts, plan));
    auto applied = o.execute ? apply_rewind(admin, rewind) : Result<void>{};
    RewindDone done = !o.execute ? RewindDone::shown : applied ? RewindDone::applied : RewindDone::refused;
    print_stdout(o.format == Format::json ? rewind_json(rewind, done) : rewind_table(rewind, done));
    ok_or_throw(std::move(applied));
    return Exit::ok;
}

Exit run_replay(const Settings& s, const SettingsInput& in, const ReplayOptions& o) {
    if (!o.group.empty()) return run_rewind(s, o);
    if (o.sources.empty()) throw Failure{{Exit::usage, "replay: give sources (files, topic:NAME), or --group"}};
    if (o.to.empty()) throw Failure{{Exit::usage, "replay: --to TOPIC is required"}};
    if (!o.topic.empty() || !o.partitions.empty() || o.execute)
        throw Failure{{Exit::usage, "--topic, --partitions and --execute go with --group (a rewind)"}};
    if (o.format == Format::json && !o.dry_run)
        throw Failure{{Exit::usage, "-o json is for --dry-run and --group (a replay reports on stderr)"}};
    double speed = parse_speed(o.speed);
    std::optional<Millis> max_gap;
    if (!o.max_gap.empty()) {
        if (speed == 0) throw Failure{{Exit::usage, "--max-gap shortens waits at a --speed: give one, e.g. --speed 1x"}};
        max_gap = value_or_throw(parse_duration(o.max_gap));
    }

    SignalGuard guard;
    Cancel cancel = SignalGuard::cancel();
    Settings target = target_settings(s, in, o);
    CheckpointState resume{fingerprint(o), {}, {}, {}};
    if (!o.checkpoint.empty()) resume = value_or_throw(load_checkpoint(o.checkpoint, fingerprint(o)));

    Places places;
    TopicWriterOptions wo = writer_options(o, cancel);
    if (o.dry_run) wo.failed_path.clear();  // a dry run writes no file
    auto writer = value_or_throw(TopicWriter::open(target, wo, places));
    bool same_cluster = o.to_profile.empty() || target.brokers() == s.brokers();
    Sources sources = open_sources(s, o, same_cluster, writer->max_record(), resume, places, cancel);
    ok_or_throw(writer->check_topic());

    // Merged by time when there are several, or when one topic's partitions must be paced
    // (or shifted) as one stream.
    std::unique_ptr<Source> merged;
    Source* source = sources.all.front().get();
    bool one_stream = speed > 0 || o.timestamp == TimestampRule::shift;
    if (sources.all.size() > 1 || (one_stream && sources.multi_lane)) {
        merged = std::make_unique<MergeSource>(std::move(sources.all));
        source = merged.get();
    }
    std::optional<CheckpointSource> checkpoint;
    if (!o.checkpoint.empty()) {
        // The window is kept from the first run: the partitions not finished yet start
        // where they started then and end where they ended then.
        for (const TopicSource* t : sources.topics)
            for (const auto& w : t->windows())
                if (!resume.offsets.contains(w.tp)) {
                    resume.offsets[w.tp] = w.start;
                    resume.ends[w.tp] = w.end;
                }
        source = &checkpoint.emplace(*source, places, o.checkpoint, resume);
        if (!o.dry_run) ok_or_throw(checkpoint->save());
    }

    JqSteps jq(o.jq, {}, JqInput::envelope, MapOutput::envelope);
    SchemaFlags schema = o.schema;
    if (o.dry_run) schema.dead_letter.clear();  // a dry run sends nothing, dead letters neither
    Checks checks(schema, target, places, cancel);
    ShiftTimestamps shift;
    OriginHeaders origin(places);
    // With a registry, records are decoded for --where and encoded again (with their own
    // schema ids, or --value-schema's) on the way out.
    RegistrySteps registry(o.registry, s, places, true, true, o.to);
    std::vector<Step*> steps;
    registry.add_decode_to(steps);
    jq.add_to(steps);
    checks.add_to(steps);
    if (o.timestamp == TimestampRule::shift) steps.push_back(&shift);
    if (o.header_origin) steps.push_back(&origin);
    registry.add_encode_to(steps);

    TimestampPacer own_pace(speed > 0 ? speed : 1, max_gap);
    RatePacer rate(o.rate);
    BothPacers both(own_pace, rate);
    PumpOptions p;
    p.on_error = o.on_error;
    if (speed > 0 && o.rate > 0) p.pacer = &both;
    else if (speed > 0) p.pacer = &own_pace;
    else if (o.rate > 0) p.pacer = &rate;
    p.cancel = cancel;

    if (o.dry_run) {
        DryRunWriter dry(places, {o.to, writer->partitions(), wo.partition, wo.keep_partition, speed, max_gap, o.rate});
        p.pacer = nullptr;
        Outcome outcome = pump(*source, steps, dry, p);
        if (outcome.stop != Stop::error) print_stdout(o.format == Format::json ? dry.report_json() : dry.report());
        return conclude(outcome);
    }
    auto started = std::chrono::steady_clock::now();
    p.on_tick = [&](const RunStats& st) {
        std::string more;
        if (speed > 0) more += fmt::format("  behind schedule {}", format_duration(own_pace.behind()));
        if (auto done = source->progress(); done && *done > 0.001) {
            double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            more += fmt::format("  ETA {}", format_duration(Millis(static_cast<int64_t>(secs * (1 - *done) / *done * 1000))));
        }
        writer->show_progress(st.pulled, more);
    };
    Writer& out = checks.wrap(*writer);
    // The pump tells the writer in front; the target's writer says what was delivered.
    if (source->wants_done()) writer->set_listener(source);
    Outcome outcome = pump(*source, steps, out, p);
    Exit exit = conclude(outcome);
    if (!s.quiet) {
        std::string line = writer->summary("replay", outcome.stats.pulled, outcome.stats.bad);
        if (speed > 0)
            line += fmt::format(", schedule {}, at most {} behind", format_duration(own_pace.scheduled()),
                                format_duration(own_pace.most_behind()));
        if (outcome.stats.dropped) line += fmt::format(", {} filtered out", outcome.stats.dropped);
        fmt::print(stderr, "{}\n", line);
    }
    registry.report();
    return exit;
}

}  // namespace

void register_replay(CLI::App& app, Commands& out, const SettingsInput& input) {
    auto o = std::make_shared<ReplayOptions>();
    auto* r = app.add_subcommand("replay", "Re-send recorded or past records into a topic, as they were, at their own pace "
                                           "or faster; or rewind a consumer group");
    r->footer(
        "Sources: envelope files as 'kpipe consume' writes them ('-' for stdin), and topic:NAME with --from/--until\n"
        "(the offsets grammar of consume; a topic is read up to --until, or to where it ended when the replay started).\n"
        "Several sources, and a paced topic's partitions, are merged in timestamp order. By default every record goes\n"
        "as it was: key, value, headers, timestamp, and partition (when the target has it; else the key's partition).\n"
        "Every record is acknowledged or reported with its source position (file:line, topic [p] at offset o)\n"
        "and kept with --failed; exit 3. --checkpoint FILE makes a replay resumable after Ctrl-C, a crash or kill -9:\n"
        "run the same command again; records not delivered are sent again.\n"
        "Rewind: 'kpipe replay --group G --from @-1h [--topic T]' shows the committed offsets the group would get;\n"
        "--execute sets them (refused while the group has members). -o json for --dry-run and --group.\n"
        "Examples:\n"
        "  kpipe replay topic:clickstream --from @-2h --until @-1h --to clickstream-debug --speed 1x\n"
        "  kpipe replay recorded.jsonl --to clickstream --speed 10x --max-gap 1s\n"
        "  kpipe replay topic:orders --to orders --to-profile staging --timestamp shift\n"
        "  kpipe replay --group billing --from @-30m --topic orders --execute");
    r->add_option("source", o->sources, "Envelope files ('-': stdin; *.gz and *.zst decompressed) or topic:NAME")->type_name("SOURCE");
    r->add_option("--to", o->to, "Topic to send to")->type_name("TOPIC");
    r->add_option("--to-profile", o->to_profile,
                  "Send to the cluster of this config-file profile (the sources stay on -b/--profile)")
        ->type_name("PROFILE");
    r->add_option("--from", o->from, "topic: sources (and --group): where to start, e.g. @-2h, beginning, -1000")
        ->type_name("SPEC");
    r->add_option("--until", o->until, "topic: sources: stop before this offset or time, e.g. @-1h")->type_name("SPEC");
    r->add_option("--speed", o->speed,
                  "max (default: as fast as possible), or a factor of the records' own pace: 1x, 2x, 0.5x")
        ->type_name("SPEED");
    r->add_option("--rate", o->rate, "Send at most N records per second")->check(positive_number())->type_name("N");
    r->add_option("--max-gap", o->max_gap, "With --speed: shorten longer silences between records to this, e.g. 1s")
        ->type_name("DURATION");
    r->add_option("--partition", o->partition,
                  "keep (default: the source partition when the target has it, else by key), key (the key's "
                  "partition, murmur2 as Java), or a partition number")
        ->type_name("RULE");
    add_choice(*r, "--timestamp", o->timestamp,
               {{"keep", TimestampRule::keep}, {"now", TimestampRule::now}, {"shift", TimestampRule::shift}},
               "keep (default), now (the time of sending), shift (the first record gets the time of sending, "
               "the gaps between records are kept)")
        ->type_name("RULE");
    r->add_option("-H,--header", o->headers, "Add header name=value to every record (repeatable)")
        ->type_name("NAME=VALUE");
    r->add_flag("--header-origin", o->header_origin,
                "Add headers kpipe.source.topic/partition/offset (or kpipe.source.file/line) naming where each "
                "record came from");
    add_jq_options(*r, o->jq, "the envelope", "each output is an envelope, the record to send");
    add_schema_options(*r, o->schema, "each record's value");
    r->add_flag("--dry-run", o->dry_run,
                "Send nothing; print per source and partition the records, their time span, their target "
                "partitions, and the duration at the chosen pace");
    r->add_flag("--allow-loop", o->allow_loop, "Allow replaying a topic into itself (it doubles the topic)");
    r->add_option("--checkpoint", o->checkpoint,
                  "Record how far each source was delivered in FILE; run again with the same arguments to go "
                  "on after a stop or crash")
        ->type_name("FILE");
    r->add_option("--failed", o->failed_path, "Write every record not delivered to FILE as envelope lines")
        ->type_name("FILE");
    add_on_error_option(*r, o->on_error, "Bad input line, or a record failing --where, --map or --schema");
    add_decode_options(*r, o->registry);
    add_encode_options(*r, o->registry, false);
    r->add_flag("--progress", o->progress, "Show a live counter on stderr (on by default on a terminal)");
    r->add_option("--delivery-timeout", o->delivery_timeout, "How long a record is retried, e.g. 30s (default 2m)")
        ->type_name("DURATION");
    r->add_option("-z,--compression", o->compression, "Compression codec (default none)")
        ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}))
        ->type_name("CODEC");

    const char* g = "Rewind a consumer group";
    r->add_option("-g,--group", o->group, "Rewind this consumer group to --from instead of sending records")
        ->type_name("NAME")
        ->group(g);
    r->add_option("-t,--topic", o->topic, "With --group: only this topic")->type_name("TOPIC")->group(g);
    r->add_option("-p,--partitions", o->partitions, "With --group: only these partitions, e.g. 0,2,5-7")
        ->type_name("LIST")
        ->group(g);
    r->add_flag("--execute", o->execute, "With --group: set the offsets (else only show them)")->group(g);
    add_format_option(*r, o->format);
    out.push_back({r, [o, &input](const Settings& s) { return run_replay(s, input, *o); }});
}

}  // namespace kpipe::cli
