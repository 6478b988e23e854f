#include "cloud_profiles.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/ranges.h>

namespace kpipe {

namespace {

struct Kind {
    std::string_view name;
    std::vector<std::string_view> required;
    std::vector<std::string_view> optional;
};

const std::vector<Kind>& kinds() {
    static const std::vector<Kind> k = {
        {"confluent-cloud", {"brokers", "api_key", "api_secret"}, {}},
        {"event-hubs", {"connection_string"}, {"brokers"}},
        {"msk-iam", {"brokers"}, {"region", "aws_profile"}},
        {"msk-scram", {"brokers", "user", "password"}, {}},
        {"aiven", {"brokers", "ca_file", "cert_file", "key_file"}, {}},
        {"oauth", {"brokers", "token_endpoint", "client_id", "client_secret"}, {"scope", "token_ca_file"}},
    };
    return k;
}

std::string trim(std::string_view s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

}  // namespace

const std::vector<std::string_view>& profile_kinds() {
    static const std::vector<std::string_view> names = [] {
        std::vector<std::string_view> out;
        for (const auto& k : kinds()) out.push_back(k.name);
        return out;
    }();
    return names;
}

bool is_kind_key(std::string_view key) {
    static constexpr std::string_view own[] = {"api_key", "api_secret", "connection_string", "region",
                                               "aws_profile", "token_endpoint", "client_secret", "scope",
                                               "token_ca_file"};
    return std::find(std::begin(own), std::end(own), key) != std::end(own);
}

bool is_secret_profile_key(std::string_view key) {
    static constexpr std::string_view secret[] = {"password", "api_secret", "client_secret", "connection_string",
                                                  "key_password", "ca_password"};
    return std::find(std::begin(secret), std::end(secret), key) != std::end(secret);
}

Result<EventHubsConnection> parse_event_hubs(std::string_view cs) {
    static constexpr std::string_view form =
        "Endpoint=sb://NAMESPACE.servicebus.windows.net/;SharedAccessKeyName=NAME;SharedAccessKey=KEY[;EntityPath=HUB]";
    std::string endpoint, key_name, key, entity, normalized;
    bool signature = false;
    for (size_t at = 0; at <= cs.size();) {
        size_t semi = cs.find(';', at);
        if (semi == std::string_view::npos) semi = cs.size();
        std::string part = trim(cs.substr(at, semi - at));
        at = semi + 1;
        if (part.empty()) continue;
        auto eq = part.find('=');
        if (eq == std::string::npos)
            return fail(Exit::usage, "Event Hubs connection string: a part has no '=' (expected {})", form);
        std::string name = trim(std::string_view(part).substr(0, eq));
        std::string value = trim(std::string_view(part).substr(eq + 1));
        if (iequals(name, "Endpoint")) endpoint = value;
        else if (iequals(name, "SharedAccessKeyName")) key_name = value;
        else if (iequals(name, "SharedAccessKey")) key = value;
        else if (iequals(name, "SharedAccessSignature")) key = value, signature = true;
        else if (iequals(name, "EntityPath")) entity = value;
        normalized += (normalized.empty() ? "" : ";") + name + "=" + value;
    }
    std::vector<std::string> missing;
    if (endpoint.empty()) missing.push_back("Endpoint");
    if (key_name.empty() && !signature) missing.push_back("SharedAccessKeyName");
    if (key.empty()) missing.push_back("SharedAccessKey");
    if (!missing.empty())
        return fail(Exit::usage, "Event Hubs connection string: missing {} (expected {})", fmt::join(missing, ", "),
                    form);
    std::string_view host = endpoint;
    if (auto scheme = host.find("://"); scheme != std::string_view::npos) host = host.substr(scheme + 3);
    host = host.substr(0, host.find('/'));
    if (host.empty() || host.find(' ') != std::string_view::npos)
        return fail(Exit::usage, "Event Hubs connection string: Endpoint '{}' names no host (expected {})", endpoint,
                    form);
    std::string bootstrap(host);
    if (bootstrap.find(':') == std::string::npos) bootstrap += ":9093";
    return EventHubsConnection{bootstrap, normalized, entity};
}

std::string msk_region_of(std::string_view brokers) {
    std::string_view first = brokers.substr(0, brokers.find(','));
    first = first.substr(0, first.find(':'));
    for (std::string_view marker : {".kafka-serverless.", ".kafka."}) {
        auto at = first.find(marker);
        if (at == std::string_view::npos) continue;
        std::string_view rest = first.substr(at + marker.size());
        std::string_view region = rest.substr(0, rest.find('.'));
        if (rest.substr(region.size()).starts_with(".amazonaws.com")) return std::string(region);
    }
    return {};
}

Result<KindExpansion> expand_kind(const ProfileEntry& kind, ProfileEntries& keys, const std::string& source) {
    const std::string& name = kind.value.value;
    auto spec = std::find_if(kinds().begin(), kinds().end(), [&](const Kind& k) { return k.name == name; });
    if (spec == kinds().end())
        return fail(Exit::usage, "{}: unknown kind '{}' (kinds: {})", kind.where, name, fmt::join(profile_kinds(), ", "));
    for (auto req : spec->required)
        if (!keys.contains(std::string(req)) && !keys.contains(std::string(req) + "_command"))
            return fail(Exit::usage, "{}: a profile of kind '{}' needs '{}' (keys: {}{}{})", kind.where, name, req,
                        fmt::join(spec->required, ", "), spec->optional.empty() ? "" : "; optional: ",
                        fmt::join(spec->optional, ", "));
    for (const auto& [key, entry] : keys) {
        if (!is_kind_key(key)) continue;
        bool own = std::find(spec->required.begin(), spec->required.end(), key) != spec->required.end() ||
                   std::find(spec->optional.begin(), spec->optional.end(), key) != spec->optional.end();
        if (!own)
            return fail(Exit::usage, "{}: '{}' does not belong in a profile of kind '{}' (keys: {}{}{})", entry.where,
                        key, name, fmt::join(spec->required, ", "), spec->optional.empty() ? "" : "; optional: ",
                        fmt::join(spec->optional, ", "));
    }

    KindExpansion out;
    std::string origin_source = fmt::format("{} kind = {}", source, name);
    auto fixed = [&](const char* prop, std::string value) {
        out.kafka[prop] = Value{std::move(value), Origin::file, origin_source};
    };
    auto take = [&](const char* key) -> Value {
        auto it = keys.find(key);
        if (it == keys.end()) return {};
        Value v = it->second.value;
        keys.erase(it);
        return v;
    };
    auto move_to = [&](std::map<std::string, Value>& target, const char* key, const char* prop) {
        if (Value v = take(key); !v.value.empty()) target[prop] = std::move(v);
    };

    if (name == "confluent-cloud") {
        fixed("security.protocol", "SASL_SSL");
        fixed("sasl.mechanisms", "PLAIN");
        move_to(out.kafka, "api_key", "sasl.username");
        move_to(out.kafka, "api_secret", "sasl.password");
    } else if (name == "event-hubs") {
        std::string where = keys.contains("connection_string") ? keys.at("connection_string").where : kind.where;
        Value cs = take("connection_string");
        auto parsed = parse_event_hubs(cs.value);
        if (!parsed) return fail(Exit::usage, "{}: {}", where, parsed.error().message);
        fixed("security.protocol", "SASL_SSL");
        fixed("sasl.mechanisms", "PLAIN");
        fixed("sasl.username", "$ConnectionString");
        out.kafka["bootstrap.servers"] = Value{parsed->bootstrap, cs.origin, cs.source + " connection_string"};
        out.kafka["sasl.password"] = Value{parsed->normalized, cs.origin, cs.source};
        if (!parsed->entity_path.empty())
            out.default_topic = Value{parsed->entity_path, cs.origin, cs.source + " connection_string EntityPath"};
    } else if (name == "msk-scram") {
        fixed("security.protocol", "SASL_SSL");
        fixed("sasl.mechanisms", "SCRAM-SHA-512");
    } else if (name == "aiven") {
        fixed("security.protocol", "SSL");
    } else if (name == "msk-iam" || name == "oauth") {
        fixed("security.protocol", "SASL_SSL");
        fixed("sasl.mechanisms", "OAUTHBEARER");
        out.auth["auth.kind"] = Value{name, Origin::file, origin_source};
        if (name == "msk-iam") {
            Value region = take("region");
            if (region.value.empty()) {
                const auto& brokers = keys.at("brokers").value;
                region = Value{msk_region_of(brokers.value), Origin::file, origin_source + " (from brokers)"};
            }
            if (region.value.empty())
                return fail(Exit::usage, "{}: set region = \"...\" (the brokers' address names no AWS region)", kind.where);
            out.auth["aws.region"] = std::move(region);
            move_to(out.auth, "aws_profile", "aws.profile");
        } else {
            move_to(out.auth, "token_endpoint", "oauth.token_endpoint");
            move_to(out.auth, "client_id", "oauth.client_id");
            move_to(out.auth, "client_secret", "oauth.client_secret");
            move_to(out.auth, "scope", "oauth.scope");
            move_to(out.auth, "token_ca_file", "oauth.token_ca_file");
        }
    }
    return out;
}

}  // namespace kpipe
