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
