#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "settings.hpp"
#include "temp_config.hpp"

using namespace kpipe;

namespace {

using test::env_of;
using test::TempConfig;

const char* config_text = R"(default_profile = "local"

[profiles.local]
brokers = "127.0.0.1:9092"

[profiles.cloud]
brokers = "pkc.example:9092"
security_protocol = "SASL_SSL"
sasl_mechanism = "PLAIN"
user = "alice"
password = "${KAFKA_PASSWORD}"
timeout = "30s"

[profiles.cloud.properties]
"client.id" = "from-file"
"linger.ms" = 7
)";

}  // namespace

TEST_CASE("defaults apply without config") {
    SettingsInput in;
    auto s = resolve_settings(in, env_of({{"HOME", "/nonexistent"}}));
    REQUIRE(s);
    CHECK(s->brokers() == "localhost:9092");
    CHECK(s->kafka.at("bootstrap.servers").origin == Origin::builtin);
    CHECK(s->timeout.count() == 10'000);
}

TEST_CASE("precedence: default < profile < environment < flags") {
    TempConfig cfg(config_text);
    SettingsInput in;
    in.config_file = cfg.path;
    in.profile = "cloud";
    auto env = env_of({{"KAFKA_PASSWORD", "s3cret-pw"}});

    auto s = resolve_settings(in, env);
    REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
    CHECK(s->brokers() == "pkc.example:9092");
    CHECK(s->kafka.at("bootstrap.servers").origin == Origin::file);
    CHECK(s->kafka.at("sasl.password").value == "s3cret-pw");
    CHECK(s->kafka.at("client.id").value == "from-file");
    CHECK(s->kafka.at("linger.ms").value == "7");
    CHECK(s->timeout.count() == 30'000);

    auto env2 = env_of({{"KAFKA_PASSWORD", "x"}, {"KPIPE_BROKERS", "env:1"}});
    s = resolve_settings(in, env2);
    REQUIRE(s);
    CHECK(s->brokers() == "env:1");
    CHECK(s->kafka.at("bootstrap.servers").origin == Origin::environment);

    in.brokers = "flag:1";
    in.properties = {"client.id=flagged", "acks=1"};
    in.timeout = "3s";
    s = resolve_settings(in, env2);
    REQUIRE(s);
    CHECK(s->brokers() == "flag:1");
    CHECK(s->kafka.at("bootstrap.servers").origin == Origin::flag);
    CHECK(s->kafka.at("client.id").value == "flagged");
    CHECK(s->kafka.at("acks").origin == Origin::flag);
    CHECK(s->timeout.count() == 3'000);
}

TEST_CASE("default_profile and KPIPE_PROFILE select profiles") {
    TempConfig cfg(config_text);
    SettingsInput in;
    in.config_file = cfg.path;
    auto s = resolve_settings(in, env_of({}));
    REQUIRE(s);
    CHECK(s->profile.value == "local");
    CHECK(s->brokers() == "127.0.0.1:9092");
    s = resolve_settings(in, env_of({{"KPIPE_PROFILE", "cloud"}, {"KAFKA_PASSWORD", "p"}}));
    REQUIRE(s);
    CHECK(s->profile.origin == Origin::environment);
    CHECK(s->brokers() == "pkc.example:9092");
}

TEST_CASE("bad config files are usage errors naming file, line and key") {
    SUBCASE("unknown key") {
        TempConfig cfg("[profiles.p]\nbrokers = \"x\"\nbrokerz = \"y\"\n");
        SettingsInput in;
        in.config_file = cfg.path;
        in.profile = "p";
        auto s = resolve_settings(in, env_of({}));
        REQUIRE_FALSE(s);
        CHECK(s.error().code == Exit::usage);
        CHECK(s.error().message.find(cfg.path + ":3") != std::string::npos);
        CHECK(s.error().message.find("brokerz") != std::string::npos);
    }
    SUBCASE("syntax error") {
        TempConfig cfg("[profiles.p]\nbrokers = \n");
        SettingsInput in;
        in.config_file = cfg.path;
        auto s = resolve_settings(in, env_of({}));
        REQUIRE_FALSE(s);
        CHECK(s.error().code == Exit::usage);
        CHECK(s.error().message.find(cfg.path + ":2") != std::string::npos);
    }
    SUBCASE("unknown profile") {
        TempConfig cfg(config_text);
        SettingsInput in;
        in.config_file = cfg.path;
        in.profile = "prod";
        auto s = resolve_settings(in, env_of({}));
        REQUIRE_FALSE(s);
        CHECK(s.error().message.find("unknown profile 'prod'") != std::string::npos);
        CHECK(s.error().message.find("cloud, local") != std::string::npos);
    }
    SUBCASE("unset variable") {
        TempConfig cfg(config_text);
        SettingsInput in;
        in.config_file = cfg.path;
        in.profile = "cloud";
        auto s = resolve_settings(in, env_of({}));
        REQUIRE_FALSE(s);
        CHECK(s.error().message.find("KAFKA_PASSWORD is not set") != std::string::npos);
        CHECK(s.error().message.find("password") != std::string::npos);
    }
    SUBCASE("missing explicit file") {
        SettingsInput in;
        in.config_file = "/nonexistent/kpipe.toml";
        auto s = resolve_settings(in, env_of({}));
        REQUIRE_FALSE(s);
        CHECK(s.error().code == Exit::usage);
    }
}

TEST_CASE("expand_env") {
    auto env = env_of({{"A", "1"}, {"EMPTY", ""}});
    CHECK(*expand_env("x${A}y", env, "t") == "x1y");
    CHECK(*expand_env("${B:-dflt}", env, "t") == "dflt");
    CHECK(*expand_env("${EMPTY:-d}", env, "t") == "d");
    CHECK(*expand_env("$$A $A", env, "t") == "$A $A");
    CHECK_FALSE(expand_env("${B}", env, "t"));
    CHECK_FALSE(expand_env("${A", env, "t"));
}

TEST_CASE("-X parsing") {
    auto p = parse_property("acks=all");
    REQUIRE(p);
    CHECK(p->first == "acks");
    CHECK(p->second == "all");
    CHECK(parse_property("sasl.jaas=a=b")->second == "a=b");
    CHECK(parse_property("k=")->second == "");
    CHECK_FALSE(parse_property("noequals"));
    CHECK_FALSE(parse_property("=v"));
}

TEST_CASE("secrets are redacted") {
    CHECK(redacted("sasl.password", "hunter2") == "[redacted]");
    CHECK(redacted("ssl.key.password", "x") == "[redacted]");
    CHECK(redacted("sasl.oauthbearer.client.secret", "x") == "[redacted]");
    CHECK(redacted("bootstrap.servers", "b:1") == "b:1");
    Settings s;
    s.kafka["sasl.password"] = {"hunter2", Origin::flag, "-X"};
    s.kafka["client.id"] = {"kpipe", Origin::builtin, ""};
    CHECK(s.secret_values() == std::vector<std::string>{"hunter2"});
}
