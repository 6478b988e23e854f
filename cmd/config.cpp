// kpipe config show: the effective settings and where each came from.
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "terminal.hpp"

namespace kpipe::cli {
namespace {

struct ConfigOptions {
    Format format = Format::table;
};

Exit run_show(const Settings& s, const ConfigOptions& o) {
    struct Row {
        std::string key, value, origin, source;
    };
    std::vector<Row> rows;
    auto add = [&](std::string key, const Value& v) {
        std::string value = redacted(key, v.value);
        rows.push_back({std::move(key), std::move(value), std::string(origin_name(v.origin)), v.source});
    };
    add("config_file", s.config_file);
    add("profile", s.profile);
    add("timeout", s.timeout_text);
    for (const auto& [k, v] : s.kafka) add(k, v);
    for (const auto& [k, v] : s.registry) add("schema_registry." + k, v);

    if (o.format == Format::json) {
        nlohmann::ordered_json doc = nlohmann::ordered_json::object();
        for (const auto& r : rows) doc[r.key] = {{"value", r.value}, {"origin", r.origin}, {"source", r.source}};
        fmt::print("{}\n", doc.dump());
        return Exit::ok;
    }
    Table t({"SETTING", "VALUE", "ORIGIN", "SOURCE"}, Style{use_color(s, stdout)});
    for (const auto& r : rows) t.add({r.key, r.value.empty() ? "-" : r.value, r.origin, r.source});
    fmt::print("{}", t.render());
    return Exit::ok;
}

}  // namespace

void register_config(CLI::App& app, Commands& out) {
    auto o = std::make_shared<ConfigOptions>();
    auto* config = app.add_subcommand("config", "Show the effective settings");
    config->require_subcommand(1);
    auto* show = config->add_subcommand("show", "Effective settings and their origin (secrets redacted)");
    add_format_option(*show, o->format);
    out.push_back({show, [o](const Settings& s) { return run_show(s, *o); }});
}

}  // namespace kpipe::cli
