#include <unistd.h>

#include <charconv>
#include <cmath>

#include "command.hpp"
#include "output.hpp"

namespace kpipe::cli {

void add_global_options(CLI::App& app, SettingsInput& in) {
    const char* g = "Global options";
    app.add_option("-b,--brokers", in.brokers, "Bootstrap brokers host:port[,host:port...] (env KPIPE_BROKERS)")
        ->group(g);
    app.add_option("--profile", in.profile, "Profile from the config file (env KPIPE_PROFILE)")->group(g);
    app.add_option("-X", in.properties, "librdkafka property key=value (repeatable)")
        ->group(g)
        ->allow_extra_args(false)
        ->type_name("KEY=VALUE");
    app.add_option("--config", in.config_file,
                   "Config file (env KPIPE_CONFIG; default $XDG_CONFIG_HOME/kpipe/config.toml)")
        ->group(g)
        ->type_name("FILE");
    app.add_option("--timeout", in.timeout, "Connect and metadata timeout, e.g. 10s, 500ms (default 10s)")
        ->group(g)
        ->type_name("DURATION");
    app.add_flag("-v,--verbose", in.verbosity, "More diagnostics; -vv and -vvv add librdkafka debug contexts")
        ->group(g);
    app.add_flag("-q,--quiet", in.quiet, "Only errors on stderr")->group(g);
    app.add_option("--color", in.color, "Colour: auto, always, never (NO_COLOR honoured)")
        ->group(g)
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->type_name("WHEN");
}

void add_format_option(CLI::App& app, Format& f) {
    add_choice(app, "-o,--output", f, {{"table", Format::table}, {"json", Format::json}}, "Output format: table or json")
        ->type_name("FORMAT");
}

void add_on_error_option(CLI::App& app, OnError& target, const std::string& what) {
    add_choice(app, "--on-error", target, {{"fail", OnError::fail}, {"skip", OnError::skip}},
               what + ": fail = report it, stop reading, finish what came before; skip = report it and go on. "
                      "Both exit 3")
        ->type_name("WHAT");
}

void add_jq_options(CLI::App& app, JqOptions& o, const std::string& input, const std::string& output) {
    app.add_option("--where,--filter", o.where,
                   "Keep only records for which this jq expression on " + input +
                       " is true, e.g. '.value.action == \"view\"'. A jq error on a record (e.g. startswith on null; "
                       "write .a? or // to tolerate one) is bad input: see --on-error")
        ->type_name("EXPR");
    app.add_option("--map", o.map,
                   "Replace each record by the outputs of this jq expression on " + input + " (zero or more): " +
                       output)
        ->type_name("EXPR");
}

JqSteps::JqSteps(const JqOptions& o, EnvelopeOptions e, JqInput input, MapOutput output) {
    if (!o.where.empty()) where.emplace(value_or_throw(Where::compile(o.where, "--where", e, input)));
    if (!o.map.empty()) map.emplace(value_or_throw(Map::compile(o.map, "--map", e, input, output)));
}

void JqSteps::add_to(std::vector<Step*>& steps) {
    if (where) steps.push_back(&*where);
    if (map) steps.push_back(&*map);
}

void add_count_options(CLI::App& app, CountFlags& f) {
    const char* g = "Counting";
    app.add_option("--count-by", f.by,
                   "Count records per key instead of writing them: jq paths on the envelope, comma-separated, "
                   "e.g. .value.page or .value.device_id,.value.site")
        ->type_name("PATHS")
        ->group(g);
    app.add_option("--sum", f.sum, "With --count-by: also the sum of this numeric path per key")->type_name("PATH")->group(g);
    app.add_option("--avg", f.avg, "With --count-by: also the average")->type_name("PATH")->group(g);
    app.add_option("--min", f.min, "With --count-by: also the minimum")->type_name("PATH")->group(g);
    app.add_option("--max", f.max, "With --count-by: also the maximum")->type_name("PATH")->group(g);
    app.add_option("--top", f.top, "With --count-by: show the N largest counts")
        ->check(whole_number<int64_t>(0))
        ->type_name("N")
        ->group(g);
    app.add_option("--window", f.window,
                   "With --count-by: count per tumbling window of record time, e.g. 1m (default: totals since the start)")
        ->type_name("DURATION")
        ->group(g);
    app.add_option("--max-keys", f.max_keys,
                   "With --count-by: keep at most N distinct keys per window; the rest count as (other) (default 1000000)")
        ->check(whole_number<int64_t>(1))
        ->type_name("N")
        ->group(g);
}

CountOptions count_options(const CountFlags& f, bool iso_time, CountOptions::Show show) {
    CountOptions o;
    for (size_t at = 0; at <= f.by.size();) {
        size_t comma = f.by.find(',', at);
        if (comma == std::string::npos) comma = f.by.size();
        if (comma > at) o.by.push_back(f.by.substr(at, comma - at));
        at = comma + 1;
    }
    o.sum = f.sum, o.avg = f.avg, o.min = f.min, o.max = f.max;
    o.top = f.top;
    o.max_keys = f.max_keys;
    if (!f.window.empty()) {
        auto w = parse_duration(f.window);
        if (!w || w->count() <= 0)
            throw Failure{{Exit::usage, fmt::format("--window {}: {}", f.window, w ? "must be more than 0" : w.error().message)}};
        o.window = *w;
    }
    o.iso_time = iso_time;
    o.show = show;
    return o;
}

void add_schema_options(CLI::App& app, SchemaFlags& f, const std::string& what) {
    app.add_option("--schema", f.path,
                   "Check " + what + " against this JSON Schema (draft 7): one that does not fit is bad input "
                   "(see --on-error), reported with where and why, e.g. '/rating: expected number less than or equal "
                   "to 5 (got 7)'")
        ->type_name("FILE");
    app.add_option("--dead-letter", f.dead_letter,
                   "Also send every bad record (--schema, --where, --map, bad input) to this topic, with headers "
                   "kpipe.error (why) and kpipe.source (where it came from)")
        ->type_name("TOPIC");
}

Checks::Checks(const SchemaFlags& f, const Settings& s, const Places& p, Cancel cancel) : places(p) {
    if (!f.path.empty()) schema = value_or_throw(SchemaCheck::load(f.path));
    if (f.dead_letter.empty()) return;
    TopicWriterOptions o;
    o.topic = f.dead_letter;
    o.stop_on_bad = false;
    o.cancel = cancel;
    auto w = value_or_throw(TopicWriter::open(s, o, places));
    ok_or_throw(w->check_topic());
    dead_letters = std::move(w);
}

void Checks::add_to(std::vector<Step*>& steps) {
    if (schema) steps.push_back(schema.get());
}

Writer& Checks::wrap(Writer& w) {
    if (!dead_letters) return w;
    dead = std::make_unique<WithDeadLetters>(w, std::move(dead_letters), places);
    return *dead;
}

std::vector<std::string> topics_or_default(const Settings& s, std::vector<std::string> given) {
    if (!given.empty()) return given;
    if (s.default_topic.value.empty())
        throw Failure{{Exit::usage, "give a topic (the profile names no default topic)"}};
    return {s.default_topic.value};
}

namespace {

void add_registry_url(CLI::App& app, RegistryFlags& f) {
    const char* g = "Schema Registry";
    app.add_option("--schema-registry", f.url,
                   "Schema Registry URL (Confluent API, e.g. http://localhost:8081; credentials and TLS files in the "
                   "profile's schema_registry table)")
        ->type_name("URL")
        ->group(g);
}

}  // namespace

void add_decode_options(CLI::App& app, RegistryFlags& f) {
    const char* g = "Schema Registry";
    add_registry_url(app, f);
    add_choice(app, "--decode", f.decode, {{"auto", DecodeMode::auto_}, {"none", DecodeMode::none}, {"strict", DecodeMode::strict}},
               "With a schema registry: auto (default) shows keys and values in the wire format (Avro, Protobuf, JSON "
               "Schema) as JSON with key_schema/value_schema, keeping what cannot be decoded as it is with a warning; "
               "strict makes an unknown schema id or an undecodable payload bad input (exit 3, see --on-error); none "
               "shows the bytes")
        ->type_name("MODE")
        ->group(g);
    app.add_flag("--avro-json", f.avro_json,
                 "Decode Avro to the Avro JSON encoding (unions as {\"type\": value}, bytes as code points) instead of "
                 "plain JSON")
        ->group(g);
}

void add_encode_options(CLI::App& app, RegistryFlags& f, bool with_url) {
    const char* g = "Schema Registry";
    if (with_url) add_registry_url(app, f);
    app.add_option("--value-schema", f.value_schema,
                   "Encode each value in the wire format with this schema: a subject (its latest version), a schema id, "
                   "or a schema file registered under TOPIC-value (see --register; a .proto file's imports, found in "
                   "its directory or one above it, under their import paths). An event that does not fit is bad "
                   "input: 'events.jsonl:12: .rating: expected int, got string'")
        ->type_name("SUBJECT|ID|FILE")
        ->group(g);
    app.add_option("--key-schema", f.key_schema, "The same for keys (subject TOPIC-key for a file)")
        ->type_name("SUBJECT|ID|FILE")
        ->group(g);
    app.add_option("--schema-type", f.schema_type,
                   "The type of a schema file: avro, protobuf or json (JSON Schema); default by its extension (.avsc "
                   "avro, .proto protobuf, .json json)")
        ->check(CLI::IsMember({"avro", "protobuf", "json"}))
        ->type_name("TYPE")
        ->group(g);
    app.add_flag("--register", f.register_schema,
                 "Register a schema file under TOPIC-value (TOPIC-key) first; without it the file must be registered")
        ->group(g);
}

RegistrySteps::RegistrySteps(const RegistryFlags& f, const Settings& s, const Places& places, bool decoding,
                             bool encoding, const std::string& topic)
    : quiet(s.quiet) {
    registry::Config c;
    auto get = [&](const char* key) {
        auto it = s.registry.find(key);
        return it == s.registry.end() ? std::string() : it->second.value;
    };
    c.url = f.url.empty() ? get("url") : f.url;
    c.user = get("user");
    c.password = get("password");
    c.ca_file = get("ca_file");
    c.cert_file = get("cert_file");
    c.key_file = get("key_file");
    c.timeout = s.timeout;
    bool schemas_given = !f.value_schema.empty() || !f.key_schema.empty();
    if (c.url.empty()) {
        if (schemas_given)
            throw Failure{{Exit::usage, "--value-schema and --key-schema need a schema registry (--schema-registry URL "
                                        "or schema_registry in the profile)"}};
        if (encoding) encode = std::make_unique<registry::EncodeSchemas>(nullptr, registry::EncodeOptions{});
        return;
    }
    client = std::make_unique<registry::Client>(c);
    ok_or_throw(client->check());
    if (decoding && f.decode != DecodeMode::none) {
        registry::DecodeOptions o;
        o.strict = f.decode == DecodeMode::strict;
        o.codec.avro_json = f.avro_json;
        if (!s.quiet) o.warn = [](const std::string& line) { fmt::print(stderr, "kpipe: warning: {}\n", line); };
        decode = std::make_unique<registry::DecodeSchemas>(*client, std::move(o), places);
    }
    if (encoding) {
        registry::EncodeOptions o;
        if (!f.value_schema.empty())
            o.value_id = value_or_throw(
                registry::resolve_schema(*client, f.value_schema, f.schema_type, topic, "value", f.register_schema));
        if (!f.key_schema.empty())
            o.key_id = value_or_throw(
                registry::resolve_schema(*client, f.key_schema, f.schema_type, topic, "key", f.register_schema));
        encode = std::make_unique<registry::EncodeSchemas>(client.get(), o);
    }
}

void RegistrySteps::add_decode_to(std::vector<Step*>& steps) {
    if (decode) steps.push_back(decode.get());
}

void RegistrySteps::add_encode_to(std::vector<Step*>& steps) {
    if (encode) steps.push_back(encode.get());
}

void RegistrySteps::report() const {
    if (!decode || quiet) return;
    if (auto n = decode->unframed(); n > 0)
        fmt::print(stderr, "kpipe: {} value{} not in the Schema Registry wire format, shown as they are\n", n,
                   n == 1 ? " was" : "s were");
    if (auto n = decode->undecoded(); n > 0)
        fmt::print(stderr, "kpipe: {} record{} kept undecoded (see the warnings above)\n", n, n == 1 ? " was" : "s were");
}

bool print_stdout(std::string_view text) {
    Output out(STDOUT_FILENO, text.size());
    return value_or_throw(out.write(text)) == Output::State::open;
}

Exit conclude(const Outcome& outcome) {
    if (outcome.error) fmt::print(stderr, "kpipe: {}\n", outcome.error->message);
    if (outcome.after) fmt::print(stderr, "kpipe: {}\n", outcome.after->message);
    return exit_code(outcome);
}

CLI::Validator whole_number_check(int64_t min, int64_t max) {
    const bool open_ended = max >= std::numeric_limits<int32_t>::max();  // the type's limit, not a chosen one
    std::string desc = !open_ended ? fmt::format("{}-{}", min, max)
                       : min == 0  ? "NONNEGATIVE"
                       : min == 1  ? "POSITIVE"
                                   : fmt::format("{}+", min);
    return CLI::Validator(
        [=](std::string& text) -> std::string {
            int64_t v = 0;
            const char* end = text.data() + text.size();
            auto [p, ec] = std::from_chars(text.data(), end, v);
            if (text.empty() || p != end || (ec != std::errc() && ec != std::errc::result_out_of_range))
                return fmt::format("expected a whole number, got {}", text);
            bool beyond_int64 = ec == std::errc::result_out_of_range;
            bool below = beyond_int64 ? text.front() == '-' : v < min;
            bool above = beyond_int64 ? text.front() != '-' : v > max;
            if (!below && !above) return {};
            if (!open_ended) return fmt::format("must be from {} to {}, got {}", min, max, text);
            return below ? fmt::format("must be {} or more, got {}", min, text)
                         : fmt::format("must be at most {}, got {}", max, text);
        },
        desc);
}

CLI::Validator positive_number() {
    return CLI::Validator(
        [](std::string& text) -> std::string {
            double v = 0;
            const char* end = text.data() + text.size();
            auto [p, ec] = std::from_chars(text.data(), end, v);
            if (text.empty() || p != end || ec != std::errc() || !std::isfinite(v))
                return fmt::format("expected a number, got {}", text);
            return v > 0 ? std::string() : fmt::format("must be more than 0, got {}", text);
        },
        "POSITIVE");
}

}  // namespace kpipe::cli
