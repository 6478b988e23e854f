#include <doctest/doctest.h>

#include "envelope.hpp"

using namespace kpipe;

namespace {

std::string write(const RecordView& r) {
    EnvelopeWriter w;
    std::string out;
    w.append(r, out);
    return out;
}

Record round_trip(const RecordView& r) {
    std::string line = write(r);
    REQUIRE(line.back() == '\n');
    REQUIRE(line.find('\n') == line.size() - 1);
    line.pop_back();
    EnvelopeReader reader;
    auto rec = reader.parse(line);
    REQUIRE_MESSAGE(rec.has_value(), (rec ? "" : rec.error().message) << " in " << line);
    return *rec;
}

}  // namespace

TEST_CASE("envelope embeds JSON payloads verbatim") {
    RecordView r{"clicks", 3, 1042, 1764000000123, TimestampType::create, "user123", R"({"page":"/p1", "n":1})", {}};
    CHECK(write(r) ==
          R"({"topic":"clicks","partition":3,"offset":1042,"timestamp":1764000000123,"timestamp_type":"create",)"
          R"("key":"user123","key_encoding":"text","value":{"page":"/p1", "n":1},"headers":[]})"
          "\n");
}

TEST_CASE("envelope round trip keeps every byte") {
    const std::string binary("\x00\xff\xfe\x01 \n", 6);
    struct Case {
        const char* name;
        std::optional<std::string_view> bytes;
    } cases[] = {
        {"null", std::nullopt},
        {"empty", std::string_view("")},
        {"json object", std::string_view(R"({"a": [1, 2, {"b": null}]})")},
        {"json string", std::string_view(R"("hello")")},
        {"text", std::string_view("hello")},
        {"literal null bytes", std::string_view("null")},
        {"json with surrounding space", std::string_view(" {\"a\":1} ")},
        {"json across lines", std::string_view("{\"a\":\n1}")},
        {"text with quotes and tabs", std::string_view("say \"hi\"\t\\ \x01")},
        {"utf8", std::string_view("caf\xc3\xa9 \xe2\x82\xac")},
        {"binary", std::string_view(binary)},
        {"invalid json number", std::string_view("01")},
        {"number", std::string_view("-1.5e3")},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        RecordView r{"t", 0, 5, 1000, TimestampType::create, c.bytes, c.bytes, {}};
        Record back = round_trip(r);
        CHECK(back.key.has_value() == c.bytes.has_value());
        CHECK(back.value.has_value() == c.bytes.has_value());
        if (c.bytes) {
            CHECK(*back.key == *c.bytes);
            CHECK(*back.value == *c.bytes);
        }
        CHECK(back.timestamp == 1000);
        CHECK(back.partition == 0);
    }
}

TEST_CASE("envelope headers keep order, duplicates, nulls and binary") {
    const std::string bin("\xff\x00", 2);
    RecordView r{"t", 1, 0, 5, TimestampType::log_append, std::nullopt, "v",
                 {{"a", "1"}, {"a", "2"}, {"n", std::nullopt}, {"b", std::string_view(bin)}, {"e", ""}}};
    std::string line = write(r);
    CHECK(line.find(R"("headers":[["a","1"],["a","2"],["n",null],["b","/wA=","base64"],["e",""]])") !=
          std::string::npos);
    Record back = round_trip(r);
    REQUIRE(back.headers.size() == 5);
    CHECK(back.headers[0].name == "a");
    CHECK(*back.headers[1].value == "2");
    CHECK_FALSE(back.headers[2].value.has_value());
    CHECK(*back.headers[3].value == bin);
    CHECK(*back.headers[4].value == "");
    CHECK_FALSE(back.key.has_value());
}

TEST_CASE("envelope reader accepts ISO timestamps and rejects bad lines naming the field") {
    EnvelopeReader reader;
    auto r = reader.parse(R"({"value":"x","value_encoding":"text","timestamp":"2025-11-24T16:00:00.123Z"})");
    REQUIRE(r);
    CHECK(r->timestamp == 1764000000123);
    CHECK(*r->value == "x");
    CHECK_FALSE(r->key.has_value());

    struct Bad {
        const char* line;
        const char* needle;
    } bad[] = {
        {R"({"value":1,)", "not a valid envelope"},
        {R"([1,2])", "expected a JSON object"},
        {R"({"key":"k"})", "'value' is missing"},
        {R"({"value":"x","value_encoding":"hex"})", "unknown value_encoding"},
        {R"({"value":"!!","value_encoding":"base64"})", "invalid base64"},
        {R"({"value":1,"timestamp":"yesterday"})", "field 'timestamp'"},
        {R"({"value":1,"timestamp":"1012-11-24T16:00:00.123Z"})", "is before 1970"},
        {R"({"value":1,"timestamp":"1969-12-31T23:59:59.999Z"})", "-1 is before 1970"},
        {R"({"value":1,"partition":"one"})", "field 'partition'"},
        {R"({"value":1,"headers":[["a"]]})", "headers"},
        {R"({"value":1,"headers":[[1,"x"]]})", "header name"},
        {R"({"value":1,"vlaue":2})", "unknown envelope field 'vlaue'"},
        {R"({"value":1} x)", "not a valid envelope"},
        {R"({"key":null,"key":"x","value":1})", "field 'key' appears twice"},
        {R"({"value":"aGk=","value_encoding":"base64","value_encoding":"text"})", "appears twice"},
        {R"({"value":1,"headers":[],"headers":[["a","b"]]})", "field 'headers' appears twice"},
        {R"({"value":"x","value_encoding":""})", "field 'value_encoding'"},
        {R"({"value":"QQ=A","value_encoding":"base64"})", "invalid base64"},
        {R"({"value":"QQ= =","value_encoding":"base64"})", "invalid base64"},
        {R"({"value":" QQ=","value_encoding":"base64"})", "invalid base64"},
    };
    for (const auto& b : bad) {
        CAPTURE(b.line);
        auto res = reader.parse(b.line);
        REQUIRE_FALSE(res.has_value());
        CHECK(res.error().code == Exit::data);
        CHECK(res.error().message.find(b.needle) != std::string::npos);
    }
}

TEST_CASE("envelope round trip at the JSON depth limit") {
    for (size_t depth : {size_t{1022}, size_t{1023}, size_t{1024}}) {
        CAPTURE(depth);
        std::string deep = std::string(depth, '[') + std::string(depth, ']');
        RecordView r{"t", 0, 0, 1, TimestampType::create, std::nullopt, std::string_view(deep), {}};
        Record back = round_trip(r);
        CHECK(*back.value == deep);
    }
}

TEST_CASE("payloads with numbers beyond int64, uint64 and double are embedded as JSON and read back") {
    for (const char* payload : {R"({"n":99999999999999999999})", "1e400", "18446744073709551616", R"([1,-1e400,{"a":2}])"}) {
        CAPTURE(payload);
        RecordView r{"t", 0, 5, 1000, TimestampType::create, payload, payload, {}};
        std::string line = write(r);
        CHECK(line.find(std::string("\"value\":") + payload + ",\"headers\"") != std::string::npos);
        CHECK(line.find("_encoding") == std::string::npos);
        Record back = round_trip(r);
        CHECK(back.key == std::optional<std::string>(payload));
        CHECK(back.value == std::optional<std::string>(payload));
    }
    EnvelopeWriter w;
    CHECK(w.classify("[1e400,]") == Encoding::text);  // still not JSON
}

TEST_CASE("envelope reader checks every field: wrong types are named, what consume writes is accepted") {
    EnvelopeReader reader;
    struct Bad {
        const char* line;
        const char* message;
    } bad[] = {
        {R"({"value":1,"timestamp_type":"bogus"})",
         R"(field 'timestamp_type': expected "create", "log_append", "none" or null)"},
        {R"({"value":1,"timestamp_type":1})", "field 'timestamp_type': "},
        {R"({"value":1,"offset":"abc"})", "field 'offset': expected an offset (a whole number, -1 or more) or null"},
        {R"({"value":1,"offset":-2})", "field 'offset': "},
        {R"({"value":1,"offset":1.5})", "field 'offset': "},
        {R"({"value":1,"offset":99999999999999999999})", "field 'offset': "},
        {R"({"value":1,"topic":5})", "field 'topic': expected the topic name (a string) or null"},
        {R"({"value":1,"topic":["t"]})", "field 'topic': "},
        {R"({"value":1,"partition":"x"})", "field 'partition': expected a partition number (-1 or more) or null"},
        {R"({"value":1,"partition":2147483648})", "field 'partition': "},
        {R"({"value":1,"timestamp":true})", "field 'timestamp': "},
        {R"({"value":1,"timestamp":-2})", "field 'timestamp': "},
    };
    for (const auto& b : bad) {
        CAPTURE(b.line);
        auto res = reader.parse(b.line);
        REQUIRE_FALSE(res.has_value());
        CHECK(res.error().code == Exit::data);
        CHECK(std::string_view(res.error().message).starts_with(b.message));
    }
    // Every form consume (and --failed) writes, and null where a field may be unknown.
    for (const char* line :
         {R"({"topic":"t","partition":3,"offset":1042,"timestamp":1764000000123,"timestamp_type":"create","key":null,"value":1,"headers":[]})",
          R"({"topic":"t","partition":0,"offset":0,"timestamp":"2025-11-24T16:00:00.123Z","timestamp_type":"log_append","key":"k","key_encoding":"text","value":null,"headers":null})",
          R"({"topic":"t","partition":-1,"offset":-1,"timestamp":null,"timestamp_type":"none","key":null,"value":"x","value_encoding":"text","headers":[]})",
          R"({"topic":null,"partition":null,"offset":null,"timestamp":null,"timestamp_type":null,"value":1})"}) {
        CAPTURE(line);
        CHECK(reader.parse(line).has_value());
    }
    auto r = reader.parse(R"({"topic":"clicks","partition":2,"offset":7,"timestamp":5,"timestamp_type":"log_append","value":1})");
    REQUIRE(r);
    CHECK((r->topic == "clicks" && r->partition == 2 && r->offset == 7 && r->timestamp == 5));
    CHECK(r->timestamp_type == TimestampType::log_append);
}
