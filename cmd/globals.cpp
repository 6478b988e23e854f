#include <unistd.h>

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

bool print_stdout(std::string_view text) {
    Output out(STDOUT_FILENO, text.size());
    return value_or_throw(out.write(text)) == Output::State::open;
}

Exit conclude(const Outcome& outcome) {
    if (outcome.error) fmt::print(stderr, "kpipe: {}\n", outcome.error->message);
    if (outcome.after) fmt::print(stderr, "kpipe: {}\n", outcome.after->message);
    return exit_code(outcome);
}

}  // namespace kpipe::cli
