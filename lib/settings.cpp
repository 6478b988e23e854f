#include "settings.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "cloud_profiles.hpp"
#include "file_text.hpp"
#include "secret_command.hpp"
#include "tls_files.hpp"

namespace kpipe {

std::string_view origin_name(Origin o) {
    switch (o) {
        case Origin::builtin: return "default";
        case Origin::file: return "file";
        case Origin::environment: return "environment";
        case Origin::flag: return "flag";
        case Origin::command: return "command";
    }
    return "?";
}

EnvLookup process_env() {
    return [](std::string_view name) -> std::optional<std::string> {
        const char* v = std::getenv(std::string(name).c_str());
        if (!v) return std::nullopt;
        return std::string(v);
    };
}

std::string Settings::brokers() const {
    auto it = kafka.find("bootstrap.servers");
    return it == kafka.end() ? std::string() : it->second.value;
}

bool is_secret(std::string_view key) {
    return key.find("password") != std::string_view::npos || key.find("secret") != std::string_view::npos ||
           key == "ssl.key.pem" || key == "sasl.oauthbearer.config";
}

std::string redacted(std::string_view key, std::string_view value) {
    if (is_secret(key) && !value.empty()) return "[redacted]";
    return std::string(value);
}

std::vector<std::string> Settings::secret_values() const {
    std::vector<std::string> out;
    for (const auto* m : {&kafka, &auth})
        for (const auto& [k, v] : *m)
            if (is_secret(k) && v.value.size() >= 3) out.push_back(v.value);
    return out;
}

namespace {

std::string value_in(const std::map<std::string, Value>& m, std::string_view key) {
    auto it = m.find(std::string(key));
    return it == m.end() ? std::string() : it->second.value;
}

}  // namespace

std::string Settings::kafka_value(std::string_view key) const { return value_in(kafka, key); }

std::string Settings::auth_value(std::string_view key) const { return value_in(auth, key); }

bool Settings::uses_tls() const {
    std::string p = kafka_value("security.protocol");
    for (auto& c : p) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return p == "SSL" || p == "SASL_SSL";
}

Result<std::pair<std::string, std::string>> parse_property(std::string_view kv) {
    auto eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0)
        return fail(Exit::usage, "invalid property '{}': expected key=value", kv);
    std::string key(kv.substr(0, eq));
    if (key.find_first_of(" \t") != std::string::npos)
        return fail(Exit::usage, "invalid property key '{}': contains white space", key);
    return std::pair{key, std::string(kv.substr(eq + 1))};
}

Result<std::string> expand_env(std::string_view text, const EnvLookup& env, std::string_view where) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '$') {
            out += text[i];
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '$') {
            out += '$';
            ++i;
            continue;
        }
        if (i + 1 >= text.size() || text[i + 1] != '{') {
            out += '$';
            continue;
        }
        auto close = text.find('}', i + 2);
        if (close == std::string_view::npos)
            return fail(Exit::usage, "{}: unterminated '${{' in value", where);
        std::string_view inner = text.substr(i + 2, close - i - 2);
        std::optional<std::string_view> fallback;
        if (auto d = inner.find(":-"); d != std::string_view::npos) {
            fallback = inner.substr(d + 2);
            inner = inner.substr(0, d);
        }
        if (inner.empty()) return fail(Exit::usage, "{}: empty variable name in '${{}}'", where);
        auto v = env(inner);
        if (v && !v->empty()) out += *v;
        else if (fallback) out += *fallback;
        else if (v) out += *v;
        else return fail(Exit::usage, "{}: environment variable {} is not set", where, inner);
        i = close;
    }
    return out;
}

std::string default_config_path(const EnvLookup& env) {
    if (auto x = env("XDG_CONFIG_HOME"); x && !x->empty()) return *x + "/kpipe/config.toml";
    if (auto h = env("HOME"); h && !h->empty()) return *h + "/.config/kpipe/config.toml";
    return {};
}

namespace {

// Profile keys and the librdkafka property each one sets.
struct ProfileKey {
    std::string_view key;
    std::string_view property;
};
constexpr ProfileKey profile_keys[] = {
    {"brokers", "bootstrap.servers"},
    {"security_protocol", "security.protocol"},
    {"sasl_mechanism", "sasl.mechanisms"},
    {"user", "sasl.username"},
    {"password", "sasl.password"},
    {"ca_file", "ssl.ca.location"},
    {"cert_file", "ssl.certificate.location"},
    {"key_file", "ssl.key.location"},
    {"key_password", "ssl.key.password"},
    {"client_id", "client.id"},
};

std::string at(const std::string& file, const toml::node& n) {
    return fmt::format("{}:{}", file, n.source().begin.line);
}

Result<std::string> scalar_text(const toml::node& n, const std::string& where) {
    if (auto s = n.value<std::string>()) return *s;
    if (n.is_integer() || n.is_floating_point() || n.is_boolean()) {
        std::string out;
        if (n.is_boolean()) out = *n.value<bool>() ? "true" : "false";
        else if (n.is_integer()) out = std::to_string(*n.value<int64_t>());
        else out = fmt::format("{}", *n.value<double>());
        return out;
    }
    return fail(Exit::usage, "{}: expected a string, number or boolean", where);
}

// A scalar's text with ${VAR} references expanded.
Result<std::string> expanded_text(const toml::node& n, const std::string& where, const EnvLookup& env) {
    auto text = scalar_text(n, where);
    if (!text) return text;
    return expand_env(*text, env, where);
}

struct FileProfile {
    std::map<std::string, Value> kafka;
    std::map<std::string, Value> auth;
    Value default_topic;
    std::map<std::string, Value> registry;
    std::optional<Value> timeout;
};

constexpr std::string_view known_keys =
    "kind, brokers, security_protocol, sasl_mechanism, user, password, ca_file, ca_password, cert_file, key_file, "
    "key_password, client_id, timeout, insecure_skip_tls_verify, properties, schema_registry; with a kind: api_key, api_secret, "
    "connection_string, region, aws_profile, token_endpoint, client_secret, scope, token_ca_file; any secret also as "
    "KEY_command";

// The PKCS#12 bundle a ca_file or cert_file names, opened with its password; nothing for a PEM file.
Result<std::optional<PemBundle>> bundle_in(const ProfileEntry& file, const std::optional<ProfileEntry>& password) {
    auto p12 = is_pkcs12(file.value.value);
    if (!p12) return fail(Exit::usage, "{}: {}", file.where, p12.error().message);
    if (!*p12) return std::optional<PemBundle>();
    auto pem = read_pkcs12(file.value.value, password ? password->value.value : "", file.where);
    if (!pem) return std::unexpected(pem.error());
    return std::optional<PemBundle>(std::move(*pem));
}

// ca_file and cert_file: PEM files are passed on by name, PKCS#12 bundles converted to PEM.
Result<void> add_tls_files(ProfileEntries& keys, FileProfile& out, const std::string& source) {
    auto take = [&](const char* key) -> std::optional<ProfileEntry> {
        auto it = keys.find(key);
        if (it == keys.end()) return std::nullopt;
        ProfileEntry e = it->second;
        keys.erase(it);
        return e;
    };
    auto key_password = take("key_password");
    auto ca_password = take("ca_password");
    if (auto ca = take("ca_file")) {
        auto bundle = bundle_in(*ca, ca_password);
        if (!bundle) return std::unexpected(bundle.error());
        if (*bundle)
            out.kafka["ssl.ca.pem"] = Value{(*bundle)->cert, Origin::file,
                                            source + " ca_file (PKCS#12 " + ca->value.value + ")"};
        else
            out.kafka["ssl.ca.location"] = ca->value;
    }
    if (auto cert = take("cert_file")) {
        auto bundle = bundle_in(*cert, key_password);
        if (!bundle) return std::unexpected(bundle.error());
        if (*bundle) {
            std::string from = source + " cert_file (PKCS#12 " + cert->value.value + ")";
            out.kafka["ssl.certificate.pem"] = Value{(*bundle)->cert, Origin::file, from};
            if (!(*bundle)->key.empty()) out.kafka["ssl.key.pem"] = Value{(*bundle)->key, Origin::file, from};
            key_password.reset();
        } else {
            out.kafka["ssl.certificate.location"] = cert->value;
        }
    }
    if (auto key = take("key_file")) out.kafka["ssl.key.location"] = key->value;
    if (key_password) out.kafka["ssl.key.password"] = key_password->value;
    return {};
}

Result<FileProfile> load_profile(const std::string& file, const toml::table& root, const std::string& name,
                                 const EnvLookup& env) {
    const toml::table* profiles = root["profiles"].as_table();
    const toml::table* p = profiles ? (*profiles)[name].as_table() : nullptr;
    if (!p) {
        std::string known;
        if (profiles)
            for (const auto& [k, _] : *profiles) known += (known.empty() ? "" : ", ") + std::string(k.str());
        return fail(Exit::usage, "{}: unknown profile '{}' (profiles: {})", file, name,
                    known.empty() ? "none" : known);
    }
    FileProfile out;
    std::string source = fmt::format("{} [profiles.{}]", file, name);
    ProfileEntries keys;
    std::optional<ProfileEntry> kind;
    for (const auto& [k, node] : *p) {
        std::string key(k.str());
        std::string where = fmt::format("{}: key '{}'", at(file, node), key);
        if (key == "properties") {
            const toml::table* props = node.as_table();
            if (!props) return fail(Exit::usage, "{}: expected a table of librdkafka properties", where);
            for (const auto& [pk, pn] : *props) {
                std::string pwhere = fmt::format("{}: key 'properties.{}'", at(file, pn), pk.str());
                auto expanded = expanded_text(pn, pwhere, env);
                if (!expanded) return std::unexpected(expanded.error());
                out.kafka[std::string(pk.str())] = Value{*expanded, Origin::file, source};
            }
            continue;
        }
        if (key == "schema_registry") {
            const toml::table* t = node.as_table();
            if (!t) return fail(Exit::usage, "{}: expected a table (url, user, password, ca_file, cert_file, key_file)", where);
            static constexpr std::string_view known[] = {"url", "user", "password", "ca_file", "cert_file", "key_file"};
            for (const auto& [rk, rn] : *t) {
                std::string rwhere = fmt::format("{}: key 'schema_registry.{}'", at(file, rn), rk.str());
                if (std::find(std::begin(known), std::end(known), rk.str()) == std::end(known))
                    return fail(Exit::usage, "{}: unknown (known: url, user, password, ca_file, cert_file, key_file)", rwhere);
                auto expanded = expanded_text(rn, rwhere, env);
                if (!expanded) return std::unexpected(expanded.error());
                out.registry[std::string(rk.str())] = Value{*expanded, Origin::file, source};
            }
            continue;
        }
        auto expanded = expanded_text(node, where, env);
        if (!expanded) return std::unexpected(expanded.error());
        if (key.ends_with("_command") && is_secret_profile_key(key.substr(0, key.size() - 8))) {
            std::string base = key.substr(0, key.size() - 8);
            if (p->contains(base)) return fail(Exit::usage, "{}: give either '{}' or '{}', not both", where, base, key);
            auto secret = run_secret_command(*expanded, where);
            if (!secret) return std::unexpected(secret.error());
            keys[base] = ProfileEntry{Value{*secret, Origin::command, source + " " + key}, where};
            continue;
        }
        ProfileEntry entry{Value{*expanded, Origin::file, source}, where};
        if (key == "kind") kind = std::move(entry);
        else keys[key] = std::move(entry);
    }
    if (kind) {
        auto x = expand_kind(*kind, keys, source);
        if (!x) return std::unexpected(x.error());
        out.kafka.merge(x->kafka);
        out.auth = std::move(x->auth);
        out.default_topic = std::move(x->default_topic);
    }
    if (auto ok = add_tls_files(keys, out, source); !ok) return std::unexpected(ok.error());
    for (auto& [key, entry] : keys) {
        if (key == "timeout") {
            out.timeout = entry.value;
            continue;
        }
        if (key == "insecure_skip_tls_verify") {
            const std::string& v = entry.value.value;
            if (v != "true" && v != "false")
                return fail(Exit::usage, "{}: expected true or false, got '{}'", entry.where, v);
            if (v == "true") {
                Value off{"", Origin::file, source + " insecure_skip_tls_verify"};
                off.value = "false";
                out.kafka["enable.ssl.certificate.verification"] = off;
                off.value = "none";
                out.kafka["ssl.endpoint.identification.algorithm"] = off;
            }
            continue;
        }
        const ProfileKey* match = nullptr;
        for (const auto& pk : profile_keys)
            if (pk.key == key) match = &pk;
        if (!match) {
            if (is_kind_key(key))
                return fail(Exit::usage, "{}: '{}' needs a kind = \"...\" ({})", entry.where, key,
                            fmt::join(profile_kinds(), ", "));
            return fail(Exit::usage, "{}: unknown key '{}' in profile '{}' (known: {})", entry.where, key, name,
                        known_keys);
        }
        out.kafka[std::string(match->property)] = entry.value;
    }
    return out;
}

// A config file that holds a secret in clear (not ${VAR}, not a *_command) and that
// group or others may read: one warning naming the file and the first such key.
std::optional<std::string> exposed_secret_warning(const std::string& file, const toml::table& root) {
    struct stat st{};
    if (::stat(file.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return std::nullopt;
    const toml::table* profiles = root["profiles"].as_table();
    if (!profiles) return std::nullopt;
    // A profile's own secret keys, and in its tables (properties, schema_registry) any
    // key that names a password or a secret (sasl.password, ssl.key.password...).
    auto written_secret = [](std::string_view key, const toml::node& v, bool nested) {
        auto text = v.value<std::string>();
        bool secret = is_secret_profile_key(key) ||
                      (nested && (key.find("password") != key.npos || key.find("secret") != key.npos));
        return secret && text && !text->empty() && text->find("${") == std::string::npos;
    };
    for (const auto& [name, node] : *profiles) {
        const toml::table* p = node.as_table();
        if (!p) continue;
        for (const auto& [k, v] : *p) {
            std::string key(k.str());
            bool found = written_secret(key, v, false);
            if (const toml::table* t = v.as_table())
                for (const auto& [tk, tv] : *t)
                    if (!found && written_secret(tk.str(), tv, true)) {
                        found = true;
                        key += "." + std::string(tk.str());
                    }
            if (found)
                return fmt::format("warning: {} holds a secret ('{}' in profile '{}') and is readable by {}: "
                                   "chmod 600 {} (or take the secret from ${{VAR}}{})",
                                   file, key, name.str(), (st.st_mode & 007) ? "others" : "its group", file,
                                   v.is_table() ? "" : " or " + key + "_command");
        }
    }
    return std::nullopt;
}

Result<toml::table> parse_config(const std::string& file) {
    auto text = read_file_text(file);
    if (!text) return fail(Exit::usage, "config file {}", text.error().message);
    try {
        return toml::parse(*text, file);
    } catch (const toml::parse_error& e) {
        return fail(Exit::usage, "{}:{}:{}: invalid config: {}", file, e.source().begin.line,
                    e.source().begin.column, e.description());
    }
}

Result<void> check_top_level(const std::string& file, const toml::table& root) {
    for (const auto& [k, node] : root) {
        if (k == "default_profile" && node.is_string()) continue;
        if (k == "profiles" && node.is_table()) {
            for (const auto& [pk, pn] : *node.as_table())
                if (!pn.is_table())
                    return fail(Exit::usage, "{}: key 'profiles.{}': expected a table", at(file, pn), pk.str());
            continue;
        }
        return fail(Exit::usage, "{}: unknown or mistyped key '{}' (expected default_profile = \"...\" or [profiles.NAME])",
                    at(file, node), k.str());
    }
    return {};
}

}  // namespace

Result<Settings> resolve_settings(const SettingsInput& in, const EnvLookup& env) {
    Settings s;
    s.verbosity = in.verbosity;
    s.quiet = in.quiet;
    s.no_color_env = env("NO_COLOR").has_value() && !env("NO_COLOR")->empty();
    if (in.color == "auto") s.color = ColorMode::auto_;
    else if (in.color == "always") s.color = ColorMode::always;
    else if (in.color == "never") s.color = ColorMode::never;
    else return fail(Exit::usage, "--color: expected auto, always or never, got '{}'", in.color);

    // Defaults.
    s.kafka["bootstrap.servers"] = Value{"localhost:9092", Origin::builtin, "built-in"};
    s.kafka["client.id"] = Value{"kpipe", Origin::builtin, "built-in"};
    // librdkafka 2.x checks the broker's host name against its certificate by default:
    // shown, so that `config show` says so.
    s.kafka["ssl.endpoint.identification.algorithm"] = Value{"https", Origin::builtin, "built-in"};
    s.timeout_text = Value{"10s", Origin::builtin, "built-in"};

    // Config file and profile.
    bool explicit_file = false;
    if (in.config_file) {
        s.config_file = Value{*in.config_file, Origin::flag, "--config"};
        explicit_file = true;
    } else if (auto e = env("KPIPE_CONFIG"); e && !e->empty()) {
        s.config_file = Value{*e, Origin::environment, "KPIPE_CONFIG"};
        explicit_file = true;
    } else {
        s.config_file = Value{default_config_path(env), Origin::builtin, "built-in"};
    }
    if (in.profile) s.profile = Value{*in.profile, Origin::flag, "--profile"};
    else if (auto e = env("KPIPE_PROFILE"); e && !e->empty()) s.profile = Value{*e, Origin::environment, "KPIPE_PROFILE"};

    std::error_code ec;
    bool exists = !s.config_file.value.empty() && std::filesystem::exists(s.config_file.value, ec);
    if (!exists && explicit_file)
        return fail(Exit::usage, "config file {} (from {}) does not exist", s.config_file.value, s.config_file.source);
    if (exists) {
        const std::string& file = s.config_file.value;
        auto root = parse_config(file);
        if (!root) return std::unexpected(root.error());
        if (auto ok = check_top_level(file, *root); !ok) return std::unexpected(ok.error());
        if (s.profile.value.empty())
            if (auto d = (*root)["default_profile"].value<std::string>())
                s.profile = Value{*d, Origin::file, file + " default_profile"};
        if (!s.profile.value.empty()) {
            auto p = load_profile(file, *root, s.profile.value, env);
            if (!p) return std::unexpected(p.error());
            for (auto& [k, v] : p->kafka) s.kafka[k] = std::move(v);
            s.auth = std::move(p->auth);
            s.default_topic = std::move(p->default_topic);
            s.registry = std::move(p->registry);
            if (p->timeout) s.timeout_text = *p->timeout;
        }
        if (auto w = exposed_secret_warning(file, *root)) s.warnings.push_back({*w, false});
    } else {
        s.config_file.value.clear();
        if (!s.profile.value.empty())
            return fail(Exit::usage, "profile '{}' (from {}) requested but no config file exists at {}",
                        s.profile.value, s.profile.source, default_config_path(env));
    }

    // Environment.
    if (auto b = env("KPIPE_BROKERS"); b && !b->empty())
        s.kafka["bootstrap.servers"] = Value{*b, Origin::environment, "KPIPE_BROKERS"};

    // Flags.
    if (in.brokers) s.kafka["bootstrap.servers"] = Value{*in.brokers, Origin::flag, "-b/--brokers"};
    for (const auto& kv : in.properties) {
        auto p = parse_property(kv);
        if (!p) return std::unexpected(p.error());
        s.kafka[p->first] = Value{p->second, Origin::flag, "-X"};
    }
    if (in.timeout) s.timeout_text = Value{*in.timeout, Origin::flag, "--timeout"};

    for (const char* key : {"enable.ssl.certificate.verification", "ssl.endpoint.identification.algorithm"}) {
        auto it = s.kafka.find(key);
        if (it == s.kafka.end() || (it->second.value != "false" && it->second.value != "none")) continue;
        s.warnings.push_back({fmt::format("WARNING: TLS {} verification is OFF ({}={} from {}): anyone on the network "
                                          "path can read and change this traffic",
                                          std::string_view(key).starts_with("enable") ? "certificate" : "host name",
                                          key, it->second.value, it->second.source),
                              true});
    }

    auto t = parse_duration(s.timeout_text.value);
    if (!t) return fail(Exit::usage, "{} (from {})", t.error().message, s.timeout_text.source);
    if (t->count() <= 0) return fail(Exit::usage, "timeout must be positive (from {})", s.timeout_text.source);
    s.timeout = *t;
    return s;
}

}  // namespace kpipe
