// kpipe config show: the effective settings and where each came from.
// kpipe config check: connect step by step and say which step fails and why.
#include <chrono>

#include <nlohmann/json.hpp>

#include "aws_credentials.hpp"
#include "command.hpp"
#include "connection_check.hpp"
#include "msk_iam.hpp"
#include "terminal.hpp"

namespace kpipe::cli {
namespace {

struct ConfigOptions {
    Format format = Format::table;
    Format check_format = Format::table;
    std::string region;   // __msk-iam-token
    int64_t time = 0;     // __msk-iam-token: epoch seconds, 0 for now
    std::string aws_profile;
    std::string user_agent;  // __msk-iam-token: "" for kpipe's own
};

// A PEM value (a converted PKCS#12 bundle) is shown by what it holds, not line by line.
std::string shown(const std::string& key, const std::string& value) {
    std::string v = redacted(key, value);
    if (v.find('\n') == std::string::npos) return v;
    size_t certs = 0;
    for (size_t at = v.find("BEGIN CERTIFICATE"); at != std::string::npos; at = v.find("BEGIN CERTIFICATE", at + 1))
        ++certs;
    return fmt::format("(PEM: {} certificate{})", certs, certs == 1 ? "" : "s");
}

Exit run_show(const Settings& s, const ConfigOptions& o) {
    struct Row {
        std::string key, value, origin, source;
    };
    std::vector<Row> rows;
    auto add = [&](std::string key, const Value& v) {
        std::string value = shown(key, v.value);
        rows.push_back({std::move(key), std::move(value), std::string(origin_name(v.origin)), v.source});
    };
    add("config_file", s.config_file);
    add("profile", s.profile);
    add("timeout", s.timeout_text);
    if (!s.default_topic.value.empty()) add("default_topic", s.default_topic);
    for (const auto& [k, v] : s.kafka) add(k, v);
    for (const auto& [k, v] : s.auth) add(k, v);
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

Exit run_check(const Settings& s, const ConfigOptions& o) {
    CheckReport report = check_connection(s);
    // Secrets never reach the output, even inside a quoted librdkafka or server message.
    std::vector<std::string> secrets = s.secret_values();
    auto scrub = [&](std::string text) {
        for (const auto& secret : secrets)
            for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at))
                text.replace(at, secret.size(), "[redacted]");
        return text;
    };
    if (o.check_format == Format::json) {
        nlohmann::ordered_json steps = nlohmann::ordered_json::array();
        for (const auto& st : report.steps) {
            nlohmann::ordered_json j = {{"step", st.name},
                                        {"status", st.skipped ? "skipped" : st.ok ? "ok" : "failed"},
                                        {"ms", st.ms},
                                        {"detail", scrub(st.detail)}};
            if (!st.ok) j["fix"] = scrub(st.fix);
            steps.push_back(std::move(j));
        }
        nlohmann::ordered_json doc = {{"brokers", s.brokers()},
                                      {"ok", report.exit == Exit::ok},
                                      {"exit_code", static_cast<int>(report.exit)},
                                      {"steps", std::move(steps)}};
        print_stdout(doc.dump() + "\n");
        return report.exit;
    }
    std::string out = fmt::format("checking {}{}\n", s.brokers(),
                                  s.profile.value.empty() ? "" : " (profile " + s.profile.value + ")");
    for (const auto& st : report.steps) {
        std::string status = st.skipped ? "-" : st.ok ? "ok" : "FAIL";
        std::string time = st.skipped ? "" : fmt::format("{:.1f} ms", st.ms);
        out += fmt::format("{:<5} {:<9} {:>9}  {}\n", status, st.name, time, scrub(st.detail));
        if (!st.ok && !st.fix.empty()) out += fmt::format("{:<5} {:<9} {:>9}  fix: {}\n", "", "", "", scrub(st.fix));
    }
    if (report.exit == Exit::ok) out += "ok: kpipe can connect, authenticate and read metadata with these settings\n";
    print_stdout(out);
    return report.exit;
}

// Hidden, for tests: the MSK IAM token kpipe would send, for comparison with AWS's signer.
Exit run_msk_token(const ConfigOptions& o) {
    auto creds = value_or_throw(load_aws_credentials(o.aws_profile, process_env()));
    int64_t now = o.time ? o.time
                         : std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    std::string agent = o.user_agent.empty() ? msk_iam_user_agent() : o.user_agent;
    auto t = msk_iam_token(creds.keys, o.region, now, agent);
    print_stdout(fmt::format("{}\n{}\n{}\n", t.token, t.expires_ms, agent));
    return Exit::ok;
}

}  // namespace

void register_config(CLI::App& app, Commands& out) {
    auto o = std::make_shared<ConfigOptions>();
    auto* config = app.add_subcommand("config", "Show the effective settings, check the connection");
    config->require_subcommand(1);
    auto* show = config->add_subcommand("show", "Effective settings and their origin (secrets redacted)");
    add_format_option(*show, o->format);
    out.push_back({show, [o](const Settings& s) { return run_show(s, *o); }});

    auto* check = config->add_subcommand(
        "check",
        "Connect with the effective settings step by step (DNS, TCP, TLS, token, SASL, metadata, topics, groups), "
        "timing each; stop at the first that fails with the cause and the usual fix (exit 4, or 1 for a failure "
        "that is not a connection's)");
    add_format_option(*check, o->check_format);
    out.push_back({check, [o](const Settings& s) { return run_check(s, *o); }});

    auto* token = config->add_subcommand("__msk-iam-token", "MSK IAM token for tests")->group("");
    token->add_option("--region", o->region)->required();
    token->add_option("--time", o->time);
    token->add_option("--aws-profile", o->aws_profile);
    token->add_option("--user-agent", o->user_agent);
    out.push_back({token, [o](const Settings&) { return run_msk_token(*o); }});
}

}  // namespace kpipe::cli
