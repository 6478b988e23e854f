// A fast path for the jq filters people write most (--where), evaluated on the record
// itself: no envelope text, no jq parser, no jq interpreter. It understands a small
// subset of jq:
//
//   paths        .  .a  .a.b  ."a b"  .["a"]  .[0]  .a?
//   literals     "text"  12  1.5  true  false  null
//   operators    == != < <= > >=   and  or   //   |   ( )
//   functions    not  select(f)  startswith(s)  endswith(s)  contains(s)  (s a string literal)
//
// with jq 1.6's meaning (numbers as doubles, jq's order of types, `?` turning an error
// into no output). An expression outside the subset is not compiled; on a record where
// the fast path would meet a jq error, or a value it does not model (base64 payloads,
// headers, comparing arrays or objects), it answers `ask_jq` and the caller asks libjq.
// So the answer is always libjq's; tests/unit/jq_fast.cpp checks that, expression by
// expression, record by record.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "envelope.hpp"
#include "record.hpp"

namespace kpipe {

class FastFilter {
public:
    enum class Answer { yes, no, ask_jq };

    // nullopt when the expression is outside the subset.
    static std::optional<FastFilter> compile(std::string_view expr);

    // Whether the expression yields a truthy value for the record's envelope (as
    // EnvelopeWriter would write it with `iso_time`).
    Answer envelope(const RecordView& r, bool iso_time);
    // The same for a JSON document (a produce event).
    Answer document(std::string_view json);

    // The expression's value for the record's envelope (--count-by, --sum...): a string's
    // text, a number, or any other value as compact JSON (null: "null"). `none` when it
    // yields nothing (.a? on an error); ask_jq when libjq must say.
    struct Value {
        enum Kind { none, null, boolean, numeric, string, json } kind = none;
        double number = 0;
        std::string text;  // string and json kinds; also "true"/"false"/"null"
    };
    Answer value(const RecordView& r, bool iso_time, Value& out);

    FastFilter(FastFilter&&) noexcept;
    FastFilter& operator=(FastFilter&&) noexcept;
    ~FastFilter();

    struct Node;
    struct Eval;

private:
    FastFilter();
    std::unique_ptr<Node> root_;
    std::unique_ptr<Eval> eval_;
};

}  // namespace kpipe
