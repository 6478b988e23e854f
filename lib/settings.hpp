// Effective settings: defaults < config-file profile < environment < flags,
// with the origin of every value recorded (for `kpipe config show`).
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duration.hpp"
#include "error.hpp"

namespace kpipe {

enum class Origin { builtin, file, environment, flag, command };
std::string_view origin_name(Origin o);

struct Value {
    std::string value;
    Origin origin = Origin::builtin;
    std::string source;  // e.g. "/home/u/.config/kpipe/config.toml [profiles.prod]", "KPIPE_BROKERS", "-X"
};

enum class ColorMode { auto_, always, never };

// What the command line said; empty optionals mean "not given".
struct SettingsInput {
    std::optional<std::string> brokers;
    std::optional<std::string> profile;
    std::optional<std::string> config_file;
    std::optional<std::string> timeout;
    std::vector<std::string> properties;  // -X key=value
    int verbosity = 0;
    bool quiet = false;
    std::string color = "auto";
};

using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;
EnvLookup process_env();

struct Settings {
    std::map<std::string, Value> kafka;  // librdkafka properties, bootstrap.servers included
    // kpipe's own authentication settings, for the token it fetches or signs itself
    // (profile kinds oauth and msk-iam): "auth.kind", "oauth.token_endpoint", "aws.region"...
    std::map<std::string, Value> auth;
    Value default_topic;  // empty: none (an Event Hubs connection string's EntityPath)
    struct Warning {
        std::string text;
        bool loud = false;  // printed even with -q (e.g. TLS verification switched off)
    };
    std::vector<Warning> warnings;
    // Schema Registry: url, user, password, ca_file, cert_file, key_file (a profile's
    // [profiles.NAME.schema_registry] table).
    std::map<std::string, Value> registry;
    Value profile;                       // empty value: no profile
    Value config_file;                   // empty value: none found
    Value timeout_text;
    Millis timeout{10'000};
    int verbosity = 0;
    bool quiet = false;
    ColorMode color = ColorMode::auto_;
    bool no_color_env = false;  // NO_COLOR set

    std::string brokers() const;
    // Values of secret properties, for scrubbing log lines.
    std::vector<std::string> secret_values() const;
    // The value of a librdkafka property, or "" when unset.
    std::string kafka_value(std::string_view key) const;
    // The value of a kpipe authentication setting, or "" when unset.
    std::string auth_value(std::string_view key) const;
    // True when TLS is used (security.protocol SSL or SASL_SSL).
    bool uses_tls() const;
};

Result<Settings> resolve_settings(const SettingsInput& in, const EnvLookup& env);

// "key=value" as given to -X.
Result<std::pair<std::string, std::string>> parse_property(std::string_view kv);

// Expands ${VAR} and ${VAR:-default}; "$$" is a literal "$". `where` names the place for errors.
Result<std::string> expand_env(std::string_view text, const EnvLookup& env, std::string_view where);

bool is_secret(std::string_view key);
std::string redacted(std::string_view key, std::string_view value);

// Default config path: $XDG_CONFIG_HOME/kpipe/config.toml or ~/.config/kpipe/config.toml.
std::string default_config_path(const EnvLookup& env);

}  // namespace kpipe
