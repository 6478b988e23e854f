#include <doctest/doctest.h>

#include "json_color.hpp"

using namespace kpipe;

TEST_CASE("paint_json colours keys, strings, numbers and literals") {
    Style on{true};
    std::string out;
    Painter p(out, on, -1);
    paint_json(p, on, R"({"a":"x","n":-1.5e3,"t":true,"z":null})");
    CHECK(out == "{\x1b[34m\"a\"\x1b[0m:\x1b[32m\"x\"\x1b[0m,\x1b[34m\"n\"\x1b[0m:\x1b[33m-1.5e3\x1b[0m,"
                 "\x1b[34m\"t\"\x1b[0m:\x1b[35mtrue\x1b[0m,\x1b[34m\"z\"\x1b[0m:\x1b[35mnull\x1b[0m}");
}

TEST_CASE("paint_json without colour is the JSON itself; escaped quotes stay inside strings") {
    std::string out;
    Painter p(out, Style{false}, -1);
    paint_json(p, Style{false}, R"({"q":"say \"hi\"","k":[1,2]})");
    CHECK(out == R"({"q":"say \"hi\"","k":[1,2]})");
}

TEST_CASE("Painter cuts at the width with an ellipsis, counting code points") {
    std::string out;
    Painter p(out, Style{false}, 5);
    p.put("ab");
    p.put("cdéfgh");
    p.finish();
    CHECK(out == "abcd\u2026");
    CHECK(p.full());
    std::string exact;
    Painter q(exact, Style{false}, 3);
    q.put("ab");
    q.put("c");
    q.finish();
    CHECK(exact == "abc");
    std::string one_more;  // the last column is known only when the next piece arrives
    Painter r(one_more, Style{false}, 3);
    r.put("ab");
    r.put("c");
    r.put("d");
    r.finish();
    CHECK(one_more == "ab\u2026");
}

TEST_CASE("Painter shows control bytes and invalid UTF-8 escaped") {
    std::string out;
    Painter p(out, Style{false}, -1);
    p.put_escaped(std::string("a\nb\tc\x01", 6));
    CHECK(out == "a\\nb\\tc\\x01");
    out.clear();
    p.put_escaped("\xff");
    CHECK(out == "\\xff");
}
