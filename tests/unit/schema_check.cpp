// --schema against the official JSON Schema test suite (Debian's json-schema-test-suite,
// draft 7), for the keywords the README says kpipe checks.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "schema_check.hpp"

using namespace kpipe;
namespace fs = std::filesystem;

namespace {

const fs::path suite = "/usr/share/json-schema-test-suite/tests/draft7";

// The keywords README.md claims for --schema.
const char* const keywords[] = {
    "type", "properties", "required", "additionalProperties", "patternProperties", "items", "additionalItems",
    "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength",
    "maxLength", "pattern", "minItems", "maxItems", "uniqueItems", "contains", "minProperties", "maxProperties",
    "propertyNames", "dependencies", "allOf", "anyOf", "oneOf", "not", "if-then-else", "boolean_schema",
    "default",
};

bool valid(SchemaCheck& check, const nlohmann::json& data) {
    std::string text = data.dump();
    Item item;
    item.record.value = text;
    auto r = check.apply(item);
    return r.has_value();
}

}  // namespace

TEST_CASE("schema: the official draft 7 test suite, keyword by keyword") {
    REQUIRE_MESSAGE(fs::is_directory(suite), "json-schema-test-suite is not installed (scripts/bootstrap installs it)");
    fs::path tmp = fs::temp_directory_path() / "kpipe-schema-test.json";
    size_t cases = 0;
    for (const char* kw : keywords) {
        std::ifstream in(suite / (std::string(kw) + ".json"));
        REQUIRE_MESSAGE(in, "no suite file for " << kw);
        auto groups = nlohmann::json::parse(in);
        for (const auto& g : groups) {
            std::ofstream(tmp) << g.at("schema").dump();
            auto check = SchemaCheck::load(tmp.string());
            REQUIRE_MESSAGE(check.has_value(), kw << ": " << g.at("description").get<std::string>());
            for (const auto& t : g.at("tests")) {
                INFO(kw << ": " << g.at("description").get<std::string>() << " / " << t.at("description").get<std::string>());
                CHECK(valid(**check, t.at("data")) == t.at("valid").get<bool>());
                ++cases;
            }
        }
    }
    fs::remove(tmp);
    CHECK(cases > 300);
}

TEST_CASE("schema: the error names where and why, with the value found") {
    fs::path tmp = fs::temp_directory_path() / "kpipe-schema-rating.json";
    std::ofstream(tmp) << R"({"type":"object","required":["page"],
        "properties":{"rating":{"type":"integer","maximum":5},"page":{"type":"string"}}})";
    auto check = SchemaCheck::load(tmp.string());
    REQUIRE(check);
    Item item;
    std::string v = R"({"page":"/p1","rating":7})";
    item.record.value = v;
    auto r = (*check)->apply(item);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "/rating: expected number less than or equal to 5 (got 7)");
    v = R"({"rating":3})";
    item.record.value = v;
    r = (*check)->apply(item);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("page") != std::string::npos);
    v = "not json";
    item.record.value = v;
    CHECK_FALSE((*check)->apply(item));
    fs::remove(tmp);
    CHECK_FALSE(SchemaCheck::load("/nonexistent/schema.json"));
}
