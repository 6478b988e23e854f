// lib/registry/avro_codec: Avro binary to plain JSON and back through libavro.
#include <doctest/doctest.h>

#include "registry/schema_codec.hpp"

using namespace kpipe;
using namespace kpipe::registry;
using namespace std::string_literals;

namespace {

std::unique_ptr<Codec> codec(const std::string& schema, bool avro_json = false) {
    Schema s;
    s.id = 1;
    s.type = "avro";
    s.text = schema;
    CodecOptions o;
    o.avro_json = avro_json;
    auto c = make_codec(s, nullptr, o);
    REQUIRE(c);
    return std::move(*c);
}

std::string encode(Codec& c, std::string_view json) {
    std::string out;
    auto r = c.encode(json, out, {});
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return out;
}

std::string decode(Codec& c, std::string_view bytes) {
    std::string out, message;
    auto r = c.decode(bytes, out, message);
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return out;
}

std::string encode_error(Codec& c, std::string_view json) {
    std::string out;
    auto r = c.encode(json, out, {});
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Exit::data);
    return r.error().message;
}

const std::string click = R"({"type":"record","name":"Click","namespace":"k","fields":[
  {"name":"page","type":"string"},
  {"name":"rating","type":"int"},
  {"name":"ref","type":["null","string"]},
  {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":8,"scale":2}},
  {"name":"kind","type":{"type":"enum","name":"Kind","symbols":["VIEW","BUY"]}},
  {"name":"tags","type":{"type":"map","values":"long"}},
  {"name":"raw","type":"bytes"},
  {"name":"next","type":["null","Click"]}]})";

}  // namespace

TEST_CASE("plain JSON goes to Avro binary and comes back the same") {
    auto c = codec(click);
    std::string json =
        R"({"page":"/p","rating":5,"ref":"x","price":12.34,"kind":"BUY","tags":{"b":1,"a":2},"raw":"AAE=","next":)"
        R"({"page":"/q","rating":-1,"ref":null,"price":0.05,"kind":"VIEW","tags":{},"raw":"","next":null}})";
    std::string bytes = encode(*c, json);
    CHECK(bytes.substr(0, 3) == "\x04/p"s);
    CHECK(decode(*c, bytes) == json);
}

TEST_CASE("the Avro JSON encoding wraps union branches in their type names") {
    auto plain = codec(click);
    auto strict = codec(click, true);
    std::string bytes = encode(*plain, R"({"page":"/p","rating":5,"ref":"x","price":1,"kind":"BUY","tags":{},"raw":"","next":null})");
    CHECK(decode(*strict, bytes) ==
          R"({"page":"/p","rating":5,"ref":{"string":"x"},"price":"d","kind":"BUY","tags":{},"raw":"","next":null})");
    // Such a union is read back too.
    CHECK(encode(*plain, R"({"page":"/p","rating":5,"ref":{"string":"x"},"price":1,"kind":"BUY","tags":{},"raw":"","next":null})") ==
          bytes);
}

TEST_CASE("a value that does not fit names the field and why") {
    auto c = codec(click);
    std::string ok = R"("page":"/p","ref":null,"price":1,"kind":"BUY","tags":{},"raw":"","next":null)";
    CHECK(encode_error(*c, R"({"rating":"five",)" + ok + "}") == ".rating: expected int, got string");
    CHECK(encode_error(*c, "{" + ok + "}") == ".rating: missing (record k.Click requires it)");
    CHECK(encode_error(*c, R"({"rating":1,"extra":true,)" + ok + "}") == ".extra: not a field of record k.Click");
    CHECK(encode_error(*c, R"({"rating":3000000000,)" + ok + "}") == ".rating: 3000000000 does not fit an Avro int (32 bits)");
    CHECK(encode_error(*c, R"({"rating":1,"page":"/p","ref":null,"price":1,"kind":"SELL","tags":{},"raw":"","next":null})") ==
          R"(.kind: "SELL" is not a symbol of enum k.Kind)");
    CHECK(encode_error(*c, R"({"rating":1,"page":"/p","ref":null,"price":1.234,"kind":"BUY","tags":{},"raw":"","next":null})") ==
          ".price: 1.234 has more than 2 decimal places (the schema's scale)");
    CHECK(encode_error(*c, R"({"rating":1,"page":"/p","ref":7,"price":1,"kind":"BUY","tags":{},"raw":"","next":null})") ==
          ".ref: expected null or string, got integer");
    CHECK(encode_error(*c, R"({"rating":1,"page":"/p","ref":null,"price":1,"kind":"BUY","tags":{"a":"x"},"raw":"","next":null})") ==
          ".tags.a: expected long, got string");
    CHECK(encode_error(*c, "[1]") == ".: expected record k.Click, got array");
    CHECK(encode_error(*c, "not json") == "not JSON");
}

TEST_CASE("bytes the schema cannot read are an error, not a crash") {
    auto c = codec(click);
    std::string out, message;
    CHECK_FALSE(c->decode("\x04/p", out, message));  // cut short after the first field
    CHECK_FALSE(c->decode("", out, message));
}

TEST_CASE("bytes after the record are an error: decoding would lose them") {
    auto c = codec(click);
    std::string bytes = encode(*c, R"({"page":"/p","rating":5,"ref":null,"price":1,"kind":"BUY","tags":{},"raw":"","next":null})");
    std::string out, message;
    auto r = c->decode(bytes + "\x01\x02", out, message);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == Exit::data);
    CHECK(r.error().message == "2 bytes after the Avro record");
    CHECK(decode(*c, bytes) == R"({"page":"/p","rating":5,"ref":null,"price":1.00,"kind":"BUY","tags":{},"raw":"","next":null})");
}

TEST_CASE("a schema libavro cannot read is refused") {
    Schema s;
    s.id = 3;
    s.type = "avro";
    s.text = R"({"type":"record","name":"X","fields":[{"name":"a","type":"NoSuchType"}]})";
    auto c = make_codec(s, nullptr, {});
    REQUIRE_FALSE(c);
    CHECK(c.error().message.find("schema id 3") != std::string::npos);
}
