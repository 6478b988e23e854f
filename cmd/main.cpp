// kpipe: pipe JSON events between the shell and Apache Kafka.
// The only top-level catch: every error becomes one line on stderr and an exit code.
#include <csignal>
#include <cstdio>

#include "command.hpp"

namespace {

using namespace kpipe;

int usage_error(const CLI::App& app, const CLI::ParseError& e) {
    const CLI::App* where = &app;
    while (true) {
        auto subs = where->get_subcommands();
        if (subs.empty()) break;
        where = subs.front();
    }
    std::string path;
    for (const CLI::App* a = where; a; a = a->get_parent()) path = a->get_name() + (path.empty() ? "" : " " + path);
    fmt::print(stderr, "kpipe: {}\nusage: {} [OPTIONS]{}  (see '{} --help')\n", e.what(), path,
               where->get_subcommands({}).empty() ? "" : " COMMAND", path);
    return static_cast<int>(Exit::usage);
}

const cli::Command* selected(const cli::Commands& cmds) {
    const cli::Command* best = nullptr;
    int best_depth = -1;
    for (const auto& c : cmds) {
        if (!c.app->parsed()) continue;
        int depth = 0;
        for (const CLI::App* a = c.app; a->get_parent(); a = a->get_parent()) ++depth;
        if (depth > best_depth) best = &c, best_depth = depth;
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);  // a closed pipe shows up as EPIPE on write: a clean stop

    CLI::App app{"kpipe: pipe JSON events between the shell and Apache Kafka", "kpipe"};
    app.fallthrough();
    app.require_subcommand(0, 1);
    app.footer(
        "Exit codes: 0 ok, 1 runtime error, 2 usage, 3 data (records not delivered or bad input),\n"
        "4 cannot connect or authenticate, 5 not found, 6 threshold exceeded, 130 interrupted.\n"
        "Run 'kpipe COMMAND --help' for a command's options; global options work after any command.");

    SettingsInput input;
    cli::add_global_options(app, input);
    cli::Commands commands;
    cli::register_produce(app, commands);
    cli::register_consume(app, commands);
    cli::register_tail(app, commands);
    cli::register_replay(app, commands, input);
    cli::register_topics(app, commands);
    cli::register_lag(app, commands);
    cli::register_config(app, commands);
    cli::register_version(app);
    cli::register_generate(app, commands);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        fmt::print("{}", app.help());
        return 0;
    } catch (const CLI::CallForAllHelp&) {
        fmt::print("{}", app.help("", CLI::AppFormatMode::All));
        return 0;
    } catch (const CLI::CallForVersion& v) {
        fmt::print("{}", v.what());
        return 0;
    } catch (const CLI::ParseError& e) {
        return usage_error(app, e);
    }

    const cli::Command* cmd = selected(commands);
    if (!cmd) {
        fmt::print(stderr, "{}", app.help());
        return static_cast<int>(Exit::usage);
    }
    try {
        Settings settings = value_or_throw(resolve_settings(input, process_env()));
        for (const auto& w : settings.warnings)
            if (w.loud || !settings.quiet) fmt::print(stderr, "kpipe: {}\n", w.text);
        return static_cast<int>(cmd->run(settings));
    } catch (const Failure& f) {
        fmt::print(stderr, "kpipe: {}\n", f.error.message);
        return static_cast<int>(f.error.code);
    } catch (const std::exception& e) {
        fmt::print(stderr, "kpipe: {}\n", e.what());
        return static_cast<int>(Exit::runtime);
    }
}
