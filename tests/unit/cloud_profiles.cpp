// lib/cloud_profiles: Event Hubs connection strings, MSK regions, and each profile kind
// expanded through resolve_settings (with origins and redaction).
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "cloud_profiles.hpp"
#include "settings.hpp"
#include "temp_config.hpp"

using namespace kpipe;

namespace {

using test::env_of;
using Config = test::TempConfig;

Result<Settings> load(const std::string& text, const std::string& profile,
                      std::map<std::string, std::string> env = {},
                      std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                                     std::filesystem::perms::owner_write) {
    Config cfg(text, perms);
    SettingsInput in;
    in.config_file = cfg.path;
    in.profile = profile;
    return resolve_settings(in, env_of(env));
}

const std::string hubs = "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
                         "SharedAccessKey=abc123+/def=";

}  // namespace

TEST_CASE("event hubs: a good connection string") {
    auto c = parse_event_hubs(hubs);
    REQUIRE(c);
    CHECK(c->bootstrap == "myns.servicebus.windows.net:9093");
    CHECK(c->normalized == hubs);
    CHECK(c->entity_path.empty());
}

TEST_CASE("event hubs: EntityPath, extra spaces and a trailing semicolon") {
    auto c = parse_event_hubs("  Endpoint = sb://myns.servicebus.windows.net/ ; SharedAccessKeyName=send;"
                              " SharedAccessKey=k==  ;EntityPath= clickstream ; ");
    REQUIRE(c);
    CHECK(c->bootstrap == "myns.servicebus.windows.net:9093");
    CHECK(c->entity_path == "clickstream");
    CHECK(c->normalized ==
          "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=k==;EntityPath=clickstream");
}

TEST_CASE("event hubs: missing parts are named, the key never") {
    auto c = parse_event_hubs("Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKey=topsecret");
    REQUIRE_FALSE(c);
    CHECK(c.error().code == Exit::usage);
    CHECK(c.error().message.find("missing SharedAccessKeyName") != std::string::npos);
    CHECK(c.error().message.find("topsecret") == std::string::npos);
    c = parse_event_hubs("SharedAccessKeyName=x;SharedAccessKey=topsecret");
    REQUIRE_FALSE(c);
    CHECK(c.error().message.find("missing Endpoint") != std::string::npos);
    c = parse_event_hubs("Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=x");
    REQUIRE_FALSE(c);
    CHECK(c.error().message.find("missing SharedAccessKey") != std::string::npos);
    CHECK_FALSE(parse_event_hubs("Endpoint=sb://;SharedAccessKeyName=x;SharedAccessKey=y"));
    CHECK_FALSE(parse_event_hubs("garbage"));
    CHECK_FALSE(parse_event_hubs(""));
}

TEST_CASE("msk region from the bootstrap address") {
    CHECK(msk_region_of("b-1.mycluster.abc123.c2.kafka.eu-west-1.amazonaws.com:9098,b-2.x:9098") == "eu-west-1");
    CHECK(msk_region_of("boot-abc.c1.kafka-serverless.us-east-2.amazonaws.com:9098") == "us-east-2");
    CHECK(msk_region_of("localhost:9092") == "");
}

TEST_CASE("kind confluent-cloud: SASL_SSL PLAIN with the API key, secret redacted") {
    auto s = load("[profiles.cc]\nkind = \"confluent-cloud\"\nbrokers = \"pkc-1.aws.confluent.cloud:9092\"\n"
                  "api_key = \"KEY1\"\napi_secret = \"${CC_SECRET}\"\n",
                  "cc", {{"CC_SECRET", "cc-secret-value"}});
    REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
    CHECK(s->kafka.at("security.protocol").value == "SASL_SSL");
    CHECK(s->kafka.at("security.protocol").source.find("kind = confluent-cloud") != std::string::npos);
    CHECK(s->kafka.at("sasl.mechanisms").value == "PLAIN");
    CHECK(s->kafka.at("sasl.username").value == "KEY1");
    CHECK(s->kafka.at("sasl.password").value == "cc-secret-value");
    CHECK(s->kafka.at("sasl.password").origin == Origin::file);
    CHECK(redacted("sasl.password", "cc-secret-value") == "[redacted]");
    CHECK(s->secret_values() == std::vector<std::string>{"cc-secret-value"});
}

TEST_CASE("kind event-hubs: bootstrap, $ConnectionString and the default topic") {
    auto s = load("[profiles.eh]\nkind = \"event-hubs\"\nconnection_string = \"${EH}\"\n", "eh",
                  {{"EH", hubs + ";EntityPath=orders"}});
    REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
    CHECK(s->brokers() == "myns.servicebus.windows.net:9093");
    CHECK(s->kafka.at("sasl.username").value == "$ConnectionString");
    CHECK(s->kafka.at("sasl.password").value == hubs + ";EntityPath=orders");
    CHECK(s->default_topic.value == "orders");
    auto bad = load("[profiles.eh]\nkind = \"event-hubs\"\nconnection_string = \"Endpoint=sb://x/\"\n", "eh");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find(":3: key 'connection_string'") != std::string::npos);
}

TEST_CASE("kind msk-iam: OAUTHBEARER, region from the brokers or given") {
    auto s = load("[profiles.m]\nkind = \"msk-iam\"\nbrokers = \"b-1.c.kafka.eu-west-1.amazonaws.com:9098\"\n", "m");
    REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
    CHECK(s->kafka.at("sasl.mechanisms").value == "OAUTHBEARER");
    CHECK(s->auth_value("auth.kind") == "msk-iam");
    CHECK(s->auth_value("aws.region") == "eu-west-1");
    s = load("[profiles.m]\nkind = \"msk-iam\"\nbrokers = \"10.0.0.1:9098\"\nregion = \"us-west-2\"\naws_profile = \"prod\"\n", "m");
    REQUIRE(s);
    CHECK(s->auth_value("aws.region") == "us-west-2");
    CHECK(s->auth_value("aws.profile") == "prod");
    auto bad = load("[profiles.m]\nkind = \"msk-iam\"\nbrokers = \"10.0.0.1:9098\"\n", "m");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("region") != std::string::npos);
}

TEST_CASE("kind msk-scram, aiven and oauth") {
    auto s = load("[profiles.p]\nkind = \"msk-scram\"\nbrokers = \"b:9096\"\nuser = \"u\"\npassword = \"${P}\"\n", "p",
                  {{"P", "pw"}});
    REQUIRE(s);
    CHECK(s->kafka.at("sasl.mechanisms").value == "SCRAM-SHA-512");
    s = load("[profiles.p]\nkind = \"oauth\"\nbrokers = \"b:9093\"\ntoken_endpoint = \"https://idp/token\"\n"
             "client_id = \"app\"\nclient_secret = \"${S}\"\nscope = \"kafka\"\n",
             "p", {{"S", "oauth-secret"}});
    REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
    CHECK(s->auth_value("oauth.client_id") == "app");
    CHECK(s->auth_value("oauth.token_endpoint") == "https://idp/token");
    CHECK(s->kafka.at("client.id").value == "kpipe");  // client_id is the OAuth client here
    CHECK(s->secret_values() == std::vector<std::string>{"oauth-secret"});
    auto missing = load("[profiles.p]\nkind = \"aiven\"\nbrokers = \"b:1\"\n", "p");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("needs 'ca_file'") != std::string::npos);
    auto unknown = load("[profiles.p]\nkind = \"azure\"\n", "p");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message.find("unknown kind 'azure'") != std::string::npos);
    auto stray = load("[profiles.p]\nkind = \"msk-scram\"\nbrokers = \"b:1\"\nuser = \"u\"\npassword = \"p\"\n"
                      "api_key = \"k\"\n",
                      "p");
    REQUIRE_FALSE(stray);
    CHECK(stray.error().message.find("'api_key' does not belong") != std::string::npos);
}

TEST_CASE("secrets from a command, never with their plain key too") {
    auto s = load("[profiles.p]\nkind = \"msk-scram\"\nbrokers = \"b:1\"\nuser = \"u\"\n"
                  "password_command = \"printf 'from-command\\\\n'\"\n",
                  "p");
    REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
    CHECK(s->kafka.at("sasl.password").value == "from-command");
    CHECK(s->kafka.at("sasl.password").origin == Origin::command);
    CHECK(s->kafka.at("sasl.password").source.find("password_command") != std::string::npos);
    auto failed = load("[profiles.p]\npassword_command = \"exit 3\"\n", "p");
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message.find("exit status 3") != std::string::npos);
    auto both = load("[profiles.p]\npassword = \"x\"\npassword_command = \"echo y\"\n", "p");
    REQUIRE_FALSE(both);
}

TEST_CASE("a readable config file holding a secret in clear gets a warning") {
    using std::filesystem::perms;
    auto open = perms::owner_read | perms::owner_write | perms::group_read | perms::others_read;
    auto s = load("[profiles.p]\npassword = \"in-clear\"\n", "p", {}, open);
    REQUIRE(s);
    REQUIRE(s->warnings.size() == 1);
    CHECK(s->warnings[0].text.find("chmod 600") != std::string::npos);
    CHECK(s->warnings[0].text.find("in-clear") == std::string::npos);
    s = load("[profiles.p]\npassword = \"${P}\"\n", "p", {{"P", "x"}}, open);
    REQUIRE(s);
    CHECK(s->warnings.empty());
    s = load("[profiles.p]\npassword = \"in-clear\"\n", "p");
    REQUIRE(s);
    CHECK(s->warnings.empty());
    // Secrets in the profile's tables count too.
    s = load("[profiles.p]\nproperties = { \"sasl.password\" = \"in-clear\" }\n", "p", {}, open);
    REQUIRE(s);
    REQUIRE(s->warnings.size() == 1);
    CHECK(s->warnings[0].text.find("'properties.sasl.password'") != std::string::npos);
    s = load("[profiles.p.schema_registry]\nurl = \"http://r\"\npassword = \"in-clear\"\n", "p", {}, open);
    REQUIRE(s);
    REQUIRE(s->warnings.size() == 1);
    CHECK(s->warnings[0].text.find("'schema_registry.password'") != std::string::npos);
    s = load("[profiles.p]\nproperties = { \"sasl.username\" = \"alice\" }\n", "p", {}, open);
    REQUIRE(s);
    CHECK(s->warnings.empty());
}

TEST_CASE("turning TLS verification off is loud") {
    auto s = load("[profiles.p]\nbrokers = \"b:1\"\ninsecure_skip_tls_verify = true\n", "p");
    REQUIRE(s);
    CHECK(s->kafka.at("enable.ssl.certificate.verification").value == "false");
    CHECK(s->kafka.at("ssl.endpoint.identification.algorithm").value == "none");
    REQUIRE_FALSE(s->warnings.empty());
    CHECK(s->warnings[0].loud);
    CHECK(s->warnings[0].text.find("OFF") != std::string::npos);
    s = load("[profiles.p]\nbrokers = \"b:1\"\n", "p");
    REQUIRE(s);
    CHECK(s->kafka.at("ssl.endpoint.identification.algorithm").value == "https");
    CHECK(s->warnings.empty());
}
