// lib/registry/wire_format: the Confluent frame and Protobuf message indexes.
#include <doctest/doctest.h>

#include "registry/wire_format.hpp"

using namespace kpipe::registry;
using namespace std::string_literals;
using namespace std::string_view_literals;

TEST_CASE("the frame holds a zero byte and a big-endian id") {
    std::string out;
    append_frame(out, 0x01020304);
    CHECK(out == "\x00\x01\x02\x03\x04"s);
    out += "payload";
    auto f = unframe(out);
    REQUIRE(f);
    CHECK(f->id == 0x01020304);
    CHECK(f->payload == "payload");
}

TEST_CASE("bytes that are not in the wire format are told apart") {
    CHECK_FALSE(unframe("{\"a\":1}"));
    CHECK_FALSE(unframe("\x00\x00\x00"s));  // too short
    CHECK_FALSE(unframe("\x01\x00\x00\x00\x01x"s));  // no magic byte
    CHECK_FALSE(unframe("\x00\xff\x00\x00\x01"s));  // id beyond int32
    auto empty_payload = unframe("\x00\x00\x00\x00\x07"s);
    REQUIRE(empty_payload);
    CHECK(empty_payload->payload.empty());
}

TEST_CASE("message indexes: the first message is one zero byte, others zigzag varints") {
    std::string out;
    append_message_indexes(out, {0});
    CHECK(out == "\x00"s);
    out.clear();
    append_message_indexes(out, {1, 0, 2});
    CHECK(out == "\x06\x02\x00\x04"s);
    std::string keep = out + "rest";
    std::string_view in = keep;
    auto idx = take_message_indexes(in);
    REQUIRE(idx);
    CHECK(*idx == std::vector<int>{1, 0, 2});
    CHECK(in == "rest");
    std::string_view zero = "\x00z"sv;
    auto first = take_message_indexes(zero);
    REQUIRE(first);
    CHECK(*first == std::vector<int>{0});
    CHECK(zero == "z");
    std::string_view truncated = "\x06\x02"sv;
    CHECK_FALSE(take_message_indexes(truncated));
}
