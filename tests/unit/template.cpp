#include <doctest/doctest.h>

#include "template.hpp"

using namespace kpipe;

namespace {

RecordView sample() {
    RecordView r;
    r.topic = "clicks";
    r.partition = 3;
    r.offset = 1042;
    r.timestamp = 1764000000123;
    r.key = "u1";
    r.value = "{\"page\":\"/p1\"}";
    r.headers = {{"source", "web"}, {"trace", std::nullopt}};
    return r;
}

std::string render(std::string_view tpl, const RecordView& r, bool iso = false) {
    auto t = Template::compile(tpl, iso);
    REQUIRE(t);
    std::string out;
    t->append(r, out);
    return out;
}

}  // namespace

TEST_CASE("template: every token") {
    auto r = sample();
    CHECK(render("%t|%p|%o|%k|%s|%T|%h|%K|%S|%%\n", r) ==
          "clicks|3|1042|u1|{\"page\":\"/p1\"}|1764000000123|source=web,trace|2|14|%\n");
    CHECK(render("%T", r, true) == "2025-11-24T16:00:00.123Z");
    CHECK(render("plain text", r) == "plain text");
    CHECK(render("", r) == "");
}

TEST_CASE("template: escapes") {
    auto r = sample();
    CHECK(render("a\\tb\\nc\\rd\\\\e", r) == "a\tb\nc\rd\\e");
    CHECK(render("%k\\0", r) == std::string("u1\0", 3));
}

TEST_CASE("template: null key and value") {
    RecordView r = sample();
    r.key.reset();
    r.value.reset();
    r.headers.clear();
    CHECK(render("[%k][%s][%K][%S][%h]", r) == "[][][-1][-1][]");
    r.value = "";
    CHECK(render("[%s][%S]", r) == "[][0]");
}

TEST_CASE("template: compiled once into pieces") {
    auto t = Template::compile("k=%k v=%s\\n");
    REQUIRE(t);
    using T = Template::Token;
    CHECK(t->pieces() == std::vector<Template::Piece>{{T::literal, "k="}, {T::key, ""}, {T::literal, " v="},
                                                      {T::value, ""}, {T::literal, "\n"}});
}

TEST_CASE("template: malformed input names the token and position") {
    struct Case {
        const char* text;
        const char* mentions;
    };
    for (auto c : {Case{"%x", "'%x' at position 1"}, Case{"ab%q", "'%q' at position 3"},
                   Case{"abc%", "lone '%' at the end (position 4)"}, Case{"\\q", "'\\q' at position 1"},
                   Case{"x\\", "lone '\\' at the end (position 2)"}}) {
        CAPTURE(c.text);
        auto t = Template::compile(c.text);
        REQUIRE_FALSE(t);
        CHECK(t.error().code == Exit::usage);
        CHECK(t.error().message.find(c.mentions) != std::string::npos);
    }
}
