// How subcommands plug into main: each cmd/X.cpp registers its CLI11 subcommand(s)
// with a run function; main resolves the settings and calls the one that was parsed.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "error.hpp"
#include "settings.hpp"

namespace kpipe::cli {

using Run = std::function<Exit(const Settings&)>;

struct Command {
    CLI::App* app;
    Run run;
};

using Commands = std::vector<Command>;

// Global options, on the top-level app and every subcommand.
void add_global_options(CLI::App& app, SettingsInput& in);

// `-o table|json`.
enum class Format { table, json };
void add_format_option(CLI::App& app, Format& f);

// Every subcommand registers itself here.
void register_topics(CLI::App& app, Commands& out);
void register_config(CLI::App& app, Commands& out);
void register_produce(CLI::App& app, Commands& out);
void register_consume(CLI::App& app, Commands& out);
void register_tail(CLI::App& app, Commands& out);
void register_lag(CLI::App& app, Commands& out);
void register_generate(CLI::App& app, Commands& out);

}  // namespace kpipe::cli
