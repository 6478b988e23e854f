#include <doctest/doctest.h>

#include <random>
#include <string>

#include "json.hpp"

using namespace kpipe;

namespace {

bool dom_valid(std::string_view s, size_t max_depth = simdjson::DEFAULT_MAX_DEPTH) {
    simdjson::dom::parser p;
    REQUIRE(p.allocate(s.size() + 64, max_depth) == simdjson::SUCCESS);
    simdjson::padded_string padded(s);
    simdjson::dom::element e;
    return p.parse(padded).get(e) == simdjson::SUCCESS;
}

// Replaces every `from` by `to`.
std::string replaced(std::string s, std::string_view from, std::string_view to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

// `s` with every number that JSON's grammar allows written as 0 (strings left alone), so
// that the DOM's verdict on it is the verdict on `s` for a parser without number limits.
std::string small_numbers(std::string_view s) {
    std::string out;
    bool in_string = false;
    for (size_t i = 0; i < s.size();) {
        char c = s[i];
        if (in_string) {
            out += c;
            if (c == '\\' && i + 1 < s.size()) out += s[++i];
            else if (c == '"') in_string = false;
            ++i;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t end = s.find_first_not_of("0123456789+-.eE", i);
            std::string_view token = s.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
            out += is_json_number(token) ? std::string_view("0") : token;
            i += token.size();
        } else {
            in_string = c == '"';
            out += c;
            ++i;
        }
    }
    return out;
}

}  // namespace

TEST_CASE("numbers beyond int64, uint64 and double are valid JSON") {
    JsonDocument doc;
    for (const char* s : {R"({"n":99999999999999999999})", "1e400", "18446744073709551616", "-99999999999999999999",
                          "1E+400", " 1e400 ", R"([1e400, -1e-400, 2E400, {"deep": [[123456789012345678901234567890]]}])",
                          R"({"a":"x","b":[true,false,null,1.5e999,"\u00e9"],"c":{}})"}) {
        CAPTURE(s);
        CHECK_FALSE(dom_valid(s));  // what the DOM alone says
        CHECK(doc.valid(s));
        CHECK_FALSE(doc.dom());  // read on demand
    }
    REQUIRE(doc.valid(R"({"n":1})"));
    CHECK(doc.dom());  // the fast path when the DOM holds every number
}

TEST_CASE("invalid JSON with a big number in it is still refused") {
    JsonDocument doc;
    for (const char* s : {"[1e400,]", R"({"a":1e400)", "[1e400 1]", "1e400 1", "[1e400]x", "[1e400] [1]", "[01e400]",
                          "[1.e400]", "[1e+]", "[-]", "[1e400,01]", R"({"a":1e400,"b":tru})", R"({"a" 1e400})",
                          R"({"a":1e400,})", R"(["\x", 1e400])", R"([1e400, "\u12"])", "[1e400, nul]", "[1e400, nullx]",
                          "[1e400, .5]", "[1e400, +1]", "[1e400, 1e400e4]", "[1e400, 0x10]", "[1e400, Infinity]",
                          R"({1e400:1})", R"({"a":1e400}})", "[1e400]]", "[[1e400]", "1e400x", "-1e400.5",
                          "[1e400, \"\xff\"]", "[1e400, \"tab\there\"]"}) {
        CAPTURE(s);
        CHECK_FALSE(doc.valid(s));
    }
}

TEST_CASE("validation agrees with the DOM parser on mutated documents, numbers aside") {
    // Mutations may make new big numbers or break the seeded ones: the DOM judges the same
    // text with every grammatical number made small.
    const std::string seeds[] = {
        R"({"a":1e400,"b":[1,2,{"c":"d\"e"}],"f":null,"g":true})",
        R"([1e400,"x\\y",-0.5e-3,{"k":[[],{}]},false,"\u00e9"])",
        R"( {"nested":{"deeper":[99999999999999999999, {"x": "y"}, [null, 12, 3.25]]}} )",
        R"(["text", 18446744073709551616] )", "1e400", R"({"small":[1,2.5,-3e2]})",
    };
    const std::string alphabet = "{}[],:\"\\ 0123456789.eE+-tfnrulasx\t\n";
    std::mt19937 rng(12345);
    JsonDocument doc;
    size_t fallback = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string s = seeds[rng() % std::size(seeds)];
        for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
            size_t at = rng() % (s.size() + 1);
            char c = alphabet[rng() % alphabet.size()];
            switch (rng() % 3) {
                case 0: s.insert(at, 1, c); break;
                case 1: if (at < s.size()) s.erase(at, 1); break;
                default: if (at < s.size()) s[at] = c; break;
            }
        }
        CAPTURE(s);
        bool valid = doc.valid(s);
        CHECK(valid == dom_valid(small_numbers(s)));
        if (valid && !doc.dom()) ++fallback;
    }
    CHECK(fallback > 1000);  // the on-demand walk was really exercised
}

TEST_CASE("the depth limit is the DOM parser's") {
    for (size_t depth : {7, 8, 9}) {
        std::string s = std::string(depth, '[') + "1e400" + std::string(depth, ']');
        JsonDocument doc(8);
        CAPTURE(depth);
        CHECK(doc.valid(s) == dom_valid(replaced(s, "1e400", "1"), 8));
        s = replaced(std::string(depth, '{'), "{", R"({"k":)") + "1e400" + std::string(depth, '}');
        CHECK(doc.valid(s) == dom_valid(replaced(s, "1e400", "1"), 8));
    }
}

TEST_CASE("is_json_number follows the grammar, not the magnitude") {
    for (const char* ok : {"0", "-0", "1", "-12", "1.5", "0.25e-3", "1E400", "99999999999999999999", "1e+0"})
        CHECK_MESSAGE(is_json_number(ok), ok);
    for (const char* bad : {"", "-", "01", "1.", ".5", "+1", "1e", "1e+", "0x1", "1.5.5", " 1", "1 ", "Infinity", "NaN"})
        CHECK_FALSE_MESSAGE(is_json_number(bad), bad);
}
