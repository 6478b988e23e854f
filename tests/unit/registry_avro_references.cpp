// lib/registry/avro_references: referenced named types defined at their first use.
#include <doctest/doctest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "registry/avro_references.hpp"
#include "registry/schema_codec.hpp"

using namespace kpipe;
using namespace kpipe::registry;
using json = nlohmann::ordered_json;

namespace {

Schema avro(std::string text, std::vector<Reference> refs = {}) {
    Schema s;
    s.id = 7;
    s.type = "avro";
    s.text = std::move(text);
    s.references = std::move(refs);
    return s;
}

// A registry of subjects at version 1, counting the look-ups.
struct Subjects {
    std::map<std::string, Schema> by_subject;
    int lookups = 0;
    SchemaLookup lookup() {
        return [this](const std::string& subject, const std::string& version) -> Result<Schema> {
            ++lookups;
            auto it = by_subject.find(subject);
            if (it == by_subject.end() || version != "1")
                return fail(Exit::not_found, "subject '{}' version {} not found", subject, version);
            return it->second;
        };
    }
};

const char* country = R"({"type":"enum","name":"Country","namespace":"geo","symbols":["NO","IT"]})";
const char* address =
    R"({"type":"record","name":"Address","namespace":"geo","fields":[{"name":"city","type":"string"},{"name":"country","type":"Country"}]})";

Subjects geo() {
    Subjects s;
    s.by_subject["country"] = avro(country);
    s.by_subject["address"] = avro(address, {{"geo.Country", "country", 1}});
    return s;
}

}  // namespace

TEST_CASE("no references: the text as it is, nothing asked") {
    Subjects subjects;
    auto out = inline_avro_references(avro(R"({"type":"string"})"), subjects.lookup());
    REQUIRE(out);
    CHECK(*out == R"({"type":"string"})");
    CHECK(subjects.lookups == 0);
}

TEST_CASE("a reference's own references are defined inside it, each type once, at its first use") {
    Subjects subjects = geo();
    auto s = avro(R"({"type":"record","name":"Trip","namespace":"travel","fields":[
        {"name":"stops","type":{"type":"array","items":"geo.Address"}},
        {"name":"home","type":["null","geo.Address"]},
        {"name":"home_country","type":"geo.Country"}]})",
                  {{"geo.Address", "address", 1}});
    auto out = inline_avro_references(s, subjects.lookup());
    REQUIRE_MESSAGE(out, (out ? "" : out.error().message));
    auto j = json::parse(*out);
    const auto& items = j["fields"][0]["type"]["items"];
    CHECK(items["name"] == "geo.Address");
    CHECK(items["fields"][1]["type"]["name"] == "geo.Country");  // defined inside Address
    CHECK(j["fields"][1]["type"][1] == "geo.Address");           // later uses stay names
    CHECK(j["fields"][2]["type"] == "geo.Country");

    // libavro reads the result: a Trip goes through and back.
    s.text = *out;
    s.references.clear();
    auto codec = make_codec(s, nullptr, {});
    REQUIRE_MESSAGE(codec, (codec ? "" : codec.error().message));
    std::string bytes, back, message;
    const std::string trip =
        R"({"stops":[{"city":"Oslo","country":"NO"}],"home":{"city":"Rome","country":"IT"},"home_country":"IT"})";
    REQUIRE((*codec)->encode(trip, bytes, {}));
    REQUIRE((*codec)->decode(bytes, back, message));
    CHECK(back == trip);
}

TEST_CASE("a bare name resolves in the enclosing namespace") {
    Subjects subjects = geo();
    auto out = inline_avro_references(
        avro(R"({"type":"record","name":"Visit","namespace":"geo","fields":[{"name":"at","type":"Address"}]})",
             {{"geo.Address", "address", 1}}),
        subjects.lookup());
    REQUIRE(out);
    CHECK(json::parse(*out)["fields"][0]["type"]["name"] == "geo.Address");
}

TEST_CASE("a reference the registry cannot give, or of another type, is an error naming it") {
    Subjects subjects = geo();
    auto missing = inline_avro_references(avro(R"({"type":"string"})", {{"geo.Road", "road", 1}}), subjects.lookup());
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == Exit::not_found);
    CHECK(missing.error().message.find("geo.Road (subject road, version 1)") != std::string::npos);

    subjects.by_subject["proto"] = Schema{3, "protobuf", "syntax = \"proto3\";", {}};
    auto other = inline_avro_references(avro(R"({"type":"string"})", {{"geo.P", "proto", 1}}), subjects.lookup());
    REQUIRE_FALSE(other);
    CHECK(other.error().message.find("is a protobuf schema, not Avro") != std::string::npos);

    auto alone = inline_avro_references(avro(R"({"type":"string"})", {{"geo.Address", "address", 1}}), nullptr);
    REQUIRE_FALSE(alone);
    CHECK(alone.error().message.find("no registry") != std::string::npos);
}
