// The fast filter against libjq itself: for every expression and record where the fast
// path answers, libjq must give the same answer (and must not fail).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "envelope.hpp"
#include "jq_fast.hpp"
#include "jq_filter.hpp"

using namespace kpipe;

namespace {

struct Rec {
    std::optional<std::string> key, value;
    int64_t ts = 1764000000123;
};

std::vector<Rec> records() {
    std::vector<Rec> out;
    std::vector<std::optional<std::string>> values = {
        R"({"page":"/product1","action":"view","userid":"u1","rating":4})",
        R"({"page":"/product2","action":"click","userid":"u2","rating":5.5})",
        R"({"page":"/cart","action":"view","userid":null,"rating":"high"})",
        R"({"page":"/","action":"VIEW","n":[1,2,3],"o":{"x":{"y":true}}})",
        R"({"action":"view"})",
        R"({"page":5,"action":["view"],"rating":-3})",
        R"({"a b":1,"rating":1e3,"page":"/p\u00e9"})",
        R"({"rating":18446744073709551615,"page":""})",
        R"([1,2,{"action":"view"}])",
        R"("view")",
        R"(42)",
        R"(true)",
        R"(null)",
        "not json at all",
        "{\"page\":\"/x\"} ",
        "\xff\x00binary",
        "",
        std::nullopt,
    };
    std::vector<std::optional<std::string>> keys = {"user1", R"({"id":7})", std::nullopt, "", "42", "\xfe\xff"};
    size_t k = 0;
    for (const auto& v : values)
        for (int ts : {0, 1}) out.push_back({keys[k++ % keys.size()], v, ts ? 1764000000123 : -1});
    return out;
}

const std::vector<std::string> expressions = {
    ".value.action == \"view\"",
    ".value.action != \"view\"",
    ".value.action? == \"view\"",
    ".value.rating > 4",
    ".value.rating >= 4 and .value.rating < 6",
    ".value.rating <= 4 or .value.page == \"/cart\"",
    ".value.page | startswith(\"/product\")",
    ".value.page? | startswith(\"/product\")",
    "(.value.page // \"\") | startswith(\"/p\")",
    ".value.page | endswith(\"1\")",
    ".value.page | contains(\"art\")",
    ".value.userid == null",
    ".value.userid",
    ".value.missing",
    ".value.o.x.y",
    ".value.n[0] == 1",
    ".value.n[-1] == 3",
    ".value.n[5]",
    ".value[\"a b\"] == 1",
    ".value.\"a b\" == 1",
    ".value[0] == 1",
    ".value[2].action == \"view\"",
    ".key == \"user1\"",
    ".key.id == 7",
    ".key == null",
    ".key == 42",
    ".key_encoding == \"text\"",
    ".value_encoding == \"text\"",
    ".value_encoding",
    ".topic == \"clicks\"",
    ".partition == 2",
    ".offset > 10",
    ".timestamp > 1764000000000",
    ".timestamp == null",
    ".timestamp_type == \"create\"",
    ".value == \"view\"",
    ".value == 42",
    ".value == true",
    ".value == null",
    ".value == \"not json at all\"",
    ".value > 5",
    ".value < \"a\"",
    "select(.value.action == \"view\")",
    ".value.action == \"view\" | not",
    "(.value.action == \"view\") and (.key != null)",
    ".value.rating == 1000",
    ".value.rating == 18446744073709551615",
    ".value.page == \"/p\\u00e9\"",
    ".value.action | . == \"view\"",
    ".value | .action == \"view\"",
    "true",
    "false",
    "null",
    ".",
    ".headers == []",
    ".value.action == .value.page",
    ".value.n == [1,2,3]",
    "not",
};

}  // namespace

TEST_CASE("fast filter: libjq's answer wherever the fast path answers") {
    auto recs = records();
    EnvelopeWriter writer;
    size_t answered = 0, asked = 0, compiled = 0;
    for (const auto& expr : expressions) {
        auto fast = FastFilter::compile(expr);
        auto jq = JqFilter::compile(expr);
        REQUIRE(jq.has_value());
        if (!fast) continue;
        ++compiled;
        for (const auto& rec : recs) {
            RecordView r;
            r.topic = "clicks";
            r.partition = 2;
            r.offset = 17;
            r.timestamp = rec.ts;
            r.timestamp_type = rec.ts < 0 ? TimestampType::none : TimestampType::create;
            if (rec.key) r.key = *rec.key;
            if (rec.value) r.value = *rec.value;
            std::string envelope;
            writer.append(r, envelope);
            auto a = fast->envelope(r, false);
            if (a == FastFilter::Answer::ask_jq) {
                ++asked;
                continue;
            }
            ++answered;
            auto truth = jq->matches(envelope);
            INFO("expression: " << expr << "\nenvelope: " << envelope);
            REQUIRE(truth.has_value());  // the fast path never answers where jq fails
            CHECK((a == FastFilter::Answer::yes) == *truth);
        }
    }
    CHECK(compiled >= expressions.size() - 4);
    CHECK(answered > 1000);  // the rest (jq errors, base64, headers) went to libjq: asked
    MESSAGE(answered << " answered by the fast path, " << asked << " by libjq");
}

TEST_CASE("fast filter: the common filters on JSON events never need libjq") {
    std::vector<std::string> events = {R"({"page":"/p1","action":"view","rating":4})",
                                       R"({"page":"/p2","action":"click"})", R"({"action":null})"};
    for (std::string e : {".value.action == \"view\"", ".value.rating > 3 and .value.page != null",
                          "(.value.page // \"\") | startswith(\"/p\")", "select(.value.action == \"view\")"}) {
        auto f = FastFilter::compile(e);
        REQUIRE(f);
        for (const auto& v : events) {
            RecordView r;
            r.topic = "t";
            r.value = v;
            CHECK(f->envelope(r, false) != FastFilter::Answer::ask_jq);
        }
    }
}

TEST_CASE("fast filter: outside the subset it does not compile") {
    for (std::string e : {".value.n[]", ".a | length", ".a + 1", ".a, .b", "test(\"x\")", ".a = 1", "$x", ".a as $x | 1",
                          "\"a\\(1)\"", "map(.)", ".[1:2]", "{a: 1}", "[.a]"})
        CHECK_FALSE(FastFilter::compile(e).has_value());
}

TEST_CASE("fast filter: documents (produce events)") {
    auto f = FastFilter::compile(".action == \"view\" and .rating > 3");
    REQUIRE(f);
    CHECK(f->document(R"({"action":"view","rating":4})") == FastFilter::Answer::yes);
    CHECK(f->document(R"({"action":"view","rating":3})") == FastFilter::Answer::no);
    CHECK(f->document(R"({"action":"click"})") == FastFilter::Answer::no);
    CHECK(f->document(R"("text")") == FastFilter::Answer::ask_jq);  // jq: cannot index string
}
