// lib/registry/decimal: Avro decimals to exact JSON and back.
#include <doctest/doctest.h>

#include "registry/decimal.hpp"

using namespace kpipe::registry;
using namespace std::string_literals;

namespace {

std::string shown(std::string_view bytes, int scale) {
    std::string out;
    append_decimal_json(out, bytes, scale);
    return out;
}

}  // namespace

TEST_CASE("decimals are shown exactly, keeping the scale's digits") {
    CHECK(shown("\x04\xd2"s, 2) == "12.34");
    CHECK(shown("\xfb\x2e"s, 2) == "-12.34");
    CHECK(shown("\x05"s, 2) == "0.05");
    CHECK(shown("\x00"s, 0) == "0");
    CHECK(shown("\x00"s, 3) == "0.000");
    CHECK(shown("\x01"s, -2) == "100");
    CHECK(shown(""s, 2) == "0.00");
    // More digits than a double holds exactly: a string.
    CHECK(shown("\x00\x8a\xc7\x23\x04\x89\xe8\x00\x00"s, 4) == "\"1000000000000000.0000\"");
}

TEST_CASE("decimal text becomes the shortest two's complement, or fills a fixed size") {
    CHECK(decimal_bytes("12.34", 2, 0).value() == "\x04\xd2"s);
    CHECK(decimal_bytes("-12.34", 2, 0).value() == "\xfb\x2e"s);
    CHECK(decimal_bytes("12.5", 2, 0).value() == "\x04\xe2"s);
    CHECK(decimal_bytes("0", 2, 0).value() == "\x00"s);
    CHECK(decimal_bytes("127", 0, 0).value() == "\x7f"s);
    CHECK(decimal_bytes("128", 0, 0).value() == "\x00\x80"s);
    CHECK(decimal_bytes("-128", 0, 0).value() == "\x80"s);
    CHECK(decimal_bytes("-129", 0, 0).value() == "\xff\x7f"s);
    CHECK(decimal_bytes("1.5e2", 1, 0).value() == "\x05\xdc"s);
    CHECK(decimal_bytes("-1", 0, 4).value() == "\xff\xff\xff\xff"s);
    CHECK(decimal_bytes("1", 0, 4).value() == "\x00\x00\x00\x01"s);
}

TEST_CASE("decimals that cannot be kept exactly are refused with the reason") {
    CHECK(decimal_bytes("1.234", 2, 0).error().find("more than 2 decimal places") != std::string::npos);
    CHECK(decimal_bytes("abc", 2, 0).error().find("expected a decimal number") != std::string::npos);
    CHECK(decimal_bytes("70000", 0, 2).error().find("does not fit") != std::string::npos);
}

TEST_CASE("every shown decimal reads back to its bytes") {
    for (std::string bytes : {"\x04\xd2"s, "\xfb\x2e"s, "\x7f"s, "\x80"s, "\x00\x80"s, "\x01\x00\x00\x00\x00\x00"s}) {
        std::string text = shown(bytes, 3);
        if (text.front() == '"') text = text.substr(1, text.size() - 2);
        CHECK(decimal_bytes(text, 3, 0).value() == bytes);
    }
}
