#include <doctest/doctest.h>

#include "field_path.hpp"

using namespace kpipe;

namespace {

std::optional<std::string> key_of(std::string_view path, std::string_view json) {
    auto fp = FieldPath::parse(path);
    REQUIRE_MESSAGE(fp.has_value(), (fp ? "" : fp.error().message));
    static simdjson::dom::parser parser;
    simdjson::padded_string padded(json);
    simdjson::dom::element root;
    REQUIRE(parser.parse(padded).get(root) == simdjson::SUCCESS);
    std::string scratch;
    auto t = fp->text(root, scratch);
    if (!t) return std::nullopt;
    return std::string(*t);
}

}  // namespace

TEST_CASE("field paths find strings, numbers and nested values") {
    const char* event = R"({"userid":"user123","n":42,"user":{"id":"u7","tags":["a","b"]},)"
                        R"("items":[{"id":9},{"id":"x\"y"}],"odd.key":1,"esc":"caf\u00e9","nil":null,"obj":{"a": [1, 2]}})";
    CHECK(key_of(".userid", event) == "user123");
    CHECK(key_of(".n", event) == "42");
    CHECK(key_of(".user.id", event) == "u7");
    CHECK(key_of(".user.tags[1]", event) == "b");
    CHECK(key_of(".items[0].id", event) == "9");
    CHECK(key_of(".items[1].id", event) == "x\"y");
    CHECK(key_of(".[\"odd.key\"]", event) == "1");
    CHECK(key_of(".\"odd.key\"", event) == "1");
    CHECK(key_of(".esc", event) == "caf\xc3\xa9");
    CHECK(key_of(".obj", event) == R"({"a":[1,2]})");
    CHECK(key_of(".items.[0].id", event) == "9");
}

TEST_CASE("missing fields and nulls give no key") {
    const char* event = R"({"a":{"b":1},"list":[1],"nil":null})";
    CHECK_FALSE(key_of(".missing", event));
    CHECK_FALSE(key_of(".a.c", event));
    CHECK_FALSE(key_of(".a.b.c", event));
    CHECK_FALSE(key_of(".list[5]", event));
    CHECK_FALSE(key_of(".a[0]", event));
    CHECK_FALSE(key_of(".nil", event));
    CHECK(key_of(".", R"("whole")") == "whole");
    CHECK_FALSE(key_of(".a", "[1,2]"));
}

TEST_CASE("bad field paths are usage errors naming the path") {
    for (const char* bad : {"", "userid", ".", "..a", ".a.", ".a[", ".a[x]", ".a[1", ".\"open", ".a]"}) {
        std::string spelled = bad;
        CAPTURE(spelled);
        auto fp = FieldPath::parse(bad);
        if (std::string_view(bad) == ".") {
            CHECK(fp.has_value());
            continue;
        }
        REQUIRE_FALSE(fp.has_value());
        CHECK(fp.error().code == Exit::usage);
        CHECK(fp.error().message.find("invalid field path") != std::string::npos);
    }
    CHECK(FieldPath::parse(".user.id")->spelling() == ".user.id");
}

TEST_CASE("keys and timestamps from documents holding numbers the DOM cannot") {
    JsonDocument doc;
    auto key = [&](std::string_view path, std::string_view json) -> std::optional<std::string> {
        auto fp = FieldPath::parse(path);
        REQUIRE(fp.has_value());
        REQUIRE(doc.valid(json));
        std::string scratch;
        auto t = fp->text(doc, scratch);
        return t ? std::optional(std::string(*t)) : std::nullopt;
    };
    const char* event = R"({"big":99999999999999999999, "huge": -1.5e400, "user":{"id":"u\"7","n":42},)"
                        R"( "items":[{"id":1e400},{"id":"x"}], "obj":{"a": [1, 1e400]}, "nil":null, "t":1764000000123,)"
                        R"( "iso":"2025-11-24T16:00:00Z", "neg":-5, "frac":1.5})";
    REQUIRE(doc.valid(event));
    REQUIRE_FALSE(doc.dom());
    CHECK(key(".big", event) == "99999999999999999999");  // the exact text
    CHECK(key(".huge", event) == "-1.5e400");
    CHECK(key(".user.id", event) == "u\"7");
    CHECK(key(".user.n", event) == "42");
    CHECK(key(".items[0].id", event) == "1e400");
    CHECK(key(".items[1].id", event) == "x");
    CHECK(key(".obj", event) == R"({"a":[1,1e400]})");
    CHECK_FALSE(key(".nil", event));
    CHECK_FALSE(key(".missing", event));
    CHECK_FALSE(key(".items[5].id", event));
    CHECK_FALSE(key(".user[0]", event));
    CHECK_FALSE(key(".big.x", event));
    CHECK(key(".", "1e400") == "1e400");
    CHECK(key(".", " 18446744073709551616 ") == "18446744073709551616");
    CHECK_FALSE(key(".a", "1e400"));

    auto ts = [&](std::string_view path) {
        auto fp = FieldPath::parse(path);
        REQUIRE(fp.has_value());
        REQUIRE(doc.valid(event));
        return fp->timestamp(doc);
    };
    CHECK(ts(".t").value() == 1764000000123);
    CHECK(ts(".iso").value() == 1764000000000);
    CHECK(ts(".nil").value() == std::nullopt);
    CHECK(ts(".missing").value() == std::nullopt);
    CHECK(ts(".neg").value() == -5);  // whether Kafka can carry it is the caller's question
    for (const char* bad : {".big", ".huge", ".frac", ".obj", ".user.id"}) {
        auto r = ts(bad);
        CAPTURE(bad);
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == Exit::data);
        CHECK(r.error().message.starts_with(std::string("field ") + bad + ": "));
    }
    CHECK(ts(".big").error().message ==
          "field .big: expected epoch milliseconds or an ISO-8601 time, got 99999999999999999999");
}

TEST_CASE("timestamps from the DOM: epoch ms, ISO-8601, or an error naming the field") {
    JsonDocument doc;
    REQUIRE(doc.valid(R"({"t":1764000000123,"iso":"2025-11-24T16:00:00Z","neg":-5,"s":"soon","f":1.5})"));
    REQUIRE(doc.dom());
    auto ts = [&](std::string_view path) { return FieldPath::parse(path)->timestamp(doc); };
    CHECK(ts(".t").value() == 1764000000123);
    CHECK(ts(".iso").value() == 1764000000000);
    CHECK(ts(".none").value() == std::nullopt);
    CHECK(ts(".neg").value() == -5);
    CHECK(ts(".f").error().message.starts_with("field .f: expected epoch milliseconds"));
    CHECK(ts(".s").error().message.starts_with("field .s: "));
}

TEST_CASE("a key read on demand stays valid while the timestamp is read") {
    JsonDocument doc;
    REQUIRE(doc.valid(R"({"user":"u1","n":1e400,"ts":"2025-11-24T16:00:00Z"})"));
    std::string scratch;
    auto k = FieldPath::parse(".user")->text(doc, scratch);
    CHECK(FieldPath::parse(".ts")->timestamp(doc).value() == 1764000000000);
    REQUIRE(k);
    CHECK(*k == "u1");
}
