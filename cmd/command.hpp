// How subcommands plug into main: each cmd/X.cpp registers its CLI11 subcommand(s)
// with a run function; main resolves the settings and calls the one that was parsed.
#pragma once
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "error.hpp"
#include "count_writer.hpp"
#include "dead_letter.hpp"
#include "map_step.hpp"
#include "offsets.hpp"
#include "schema_check.hpp"
#include "pump.hpp"
#include "registry/decode_step.hpp"
#include "registry/encode_step.hpp"
#include "settings.hpp"

namespace kpipe::cli {

// How offset errors name the options the lists came from.
inline constexpr PlanNames kOffsetFlags{"--from", "--until"};

using Run = std::function<Exit(const Settings&)>;

struct Command {
    CLI::App* app;
    Run run;
};

using Commands = std::vector<Command>;

// Global options, on the top-level app and every subcommand.
void add_global_options(CLI::App& app, SettingsInput& in);

// The one way to declare an option whose value is one of a few names: `--name WORD`
// sets `target` to the value paired with WORD. Help, man page and completions list the
// names.
template <class E>
CLI::Option* add_choice(CLI::App& app, const std::string& name, E& target,
                        std::vector<std::pair<std::string, E>> choices, const std::string& description) {
    std::vector<std::string> names;
    std::string current;
    for (const auto& [word, value] : choices) {
        names.push_back(word);
        if (value == target && current.empty()) current = word;
    }
    auto set = [&target, choices](const std::string& word) {
        for (const auto& [w, value] : choices)
            if (w == word) target = value;
    };
    return app.add_option_function<std::string>(name, set, description)
        ->check(CLI::IsMember(names))
        ->default_str(current);
}

// `-o table|json`.
enum class Format { table, json };
void add_format_option(CLI::App& app, Format& f);

// --on-error fail|skip, with `what` saying what a bad item is for this command.
void add_on_error_option(CLI::App& app, OnError& target, const std::string& what);

// --where EXPR (alias --filter) and --map EXPR, and the steps they make.
struct JqOptions {
    std::string where;
    std::string map;
};
void add_jq_options(CLI::App& app, JqOptions& o, const std::string& input, const std::string& output);
struct JqSteps {
    std::optional<Where> where;
    std::optional<Map> map;
    JqSteps(const JqOptions& o, EnvelopeOptions e, JqInput input, MapOutput output);
    void add_to(std::vector<Step*>& steps);
};

// --count-by and its companions (consume, tail).
struct CountFlags {
    std::string by, sum, avg, min, max, window;
    size_t top = 0;
    size_t max_keys = 1'000'000;
    bool given() const { return !by.empty(); }
};
void add_count_options(CLI::App& app, CountFlags& f);
CountOptions count_options(const CountFlags& f, bool iso_time, CountOptions::Show show);

// --schema FILE and --dead-letter TOPIC.
struct SchemaFlags {
    std::string path;
    std::string dead_letter;
};
void add_schema_options(CLI::App& app, SchemaFlags& f, const std::string& what);
struct Checks {
    std::unique_ptr<SchemaCheck> schema;
    std::unique_ptr<TopicWriter> dead_letters;
    std::unique_ptr<WithDeadLetters> dead;
    const Places& places;
    Checks(const SchemaFlags& f, const Settings& s, const Places& p, Cancel cancel);
    void add_to(std::vector<Step*>& steps);
    Writer& wrap(Writer& w);  // the dead-letter writer in front of `w`, or `w`
};

// The topics given, else the profile's default topic (an Event Hubs EntityPath); a usage
// error when there is neither.
std::vector<std::string> topics_or_default(const Settings& s, std::vector<std::string> given);

// Schema Registry: --schema-registry URL (or the profile's schema_registry table);
// decoding (consume, tail, replay): --decode, --avro-json; encoding (produce, replay):
// --value-schema, --key-schema, --schema-type, --register.
enum class DecodeMode { none, auto_, strict };
struct RegistryFlags {
    std::string url;
    DecodeMode decode = DecodeMode::auto_;
    bool avro_json = false;
    std::string value_schema, key_schema, schema_type;
    bool register_schema = false;
};
void add_decode_options(CLI::App& app, RegistryFlags& f);
void add_encode_options(CLI::App& app, RegistryFlags& f, bool with_url);
struct RegistrySteps {
    std::unique_ptr<registry::Client> client;
    std::unique_ptr<registry::DecodeSchemas> decode;
    std::unique_ptr<registry::EncodeSchemas> encode;
    bool quiet = false;
    // Connects (exit 4 within --timeout when the registry does not answer or refuses the
    // credentials) when a registry is configured. `decoding`: records read from topics are
    // decoded; `encoding`: records written to `topic` are encoded (also those tagged with a
    // value_schema, which without a registry are bad input).
    RegistrySteps(const RegistryFlags& f, const Settings& s, const Places& places, bool decoding, bool encoding,
                  const std::string& topic);
    void add_decode_to(std::vector<Step*>& steps);
    void add_encode_to(std::vector<Step*>& steps);
    // After the run: how many values were not in the wire format, or kept undecoded.
    void report() const;
};

// Writes a whole document (a table, JSON) to stdout; false when the reader went away (a
// clean stop, e.g. `| head`). A write error is a Failure.
bool print_stdout(std::string_view text);

// Prints the error(s) of a finished run, one line each, and returns its exit code.
Exit conclude(const Outcome& outcome);

// Numeric options, checked before CLI11 converts them, with plain messages
// ("--count: must be 0 or more, got -1") instead of CLI11's range dumps.
CLI::Validator whole_number_check(int64_t min, int64_t max);
template <class T>
CLI::Validator whole_number(T min, T max = std::numeric_limits<T>::max()) {
    return whole_number_check(min, max);
}
// A finite number above zero.
CLI::Validator positive_number();

// Every subcommand registers itself here.
void register_topics(CLI::App& app, Commands& out);
void register_config(CLI::App& app, Commands& out);
void register_produce(CLI::App& app, Commands& out);
void register_consume(CLI::App& app, Commands& out);
void register_tail(CLI::App& app, Commands& out);
void register_lag(CLI::App& app, Commands& out);
void register_replay(CLI::App& app, Commands& out, const SettingsInput& input);
void register_generate(CLI::App& app, Commands& out);

// --version and `kpipe version`: they throw CLI::CallForVersion with the text to print.
void register_version(CLI::App& app);

}  // namespace kpipe::cli
