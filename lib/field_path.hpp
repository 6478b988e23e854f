// Field paths into a JSON event, jq style: `.userid`, `.user.id`, `.items[0].id`,
// `."odd.key"` or `.["odd.key"]`; `.` is the whole value. Used by `produce --key`
// and `--timestamp` on a parsed JsonDocument (its DOM, or the text on demand when the
// document holds a number the DOM cannot).
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "error.hpp"
#include "json.hpp"

namespace kpipe {

class FieldPath {
public:
    // Syntax errors are usage errors naming the position.
    static Result<FieldPath> parse(std::string_view text);

    // The element at the path; nullopt when a step is missing or of the wrong kind.
    std::optional<simdjson::dom::element> find(simdjson::dom::element root) const;

    // The field as key bytes: a string's unescaped text; any other value as compact JSON
    // (written into `scratch`); nullopt when the field is missing or JSON null.
    std::optional<std::string_view> text(simdjson::dom::element root, std::string& scratch) const;
    // The same in a parsed document; a number the DOM cannot hold is its text as written.
    // Valid until the next parse, or until `scratch` changes.
    std::optional<std::string_view> text(JsonDocument& doc, std::string& scratch) const;

    // The field as a time: epoch milliseconds (an integer) or an ISO-8601 string; nullopt
    // when missing or null; otherwise an error naming the field.
    Result<std::optional<int64_t>> timestamp(JsonDocument& doc) const;

    const std::string& spelling() const { return spelling_; }

private:
    // On demand: the value at the path; nullopt when missing or JSON null. A string is
    // unescaped, anything else is its raw JSON text.
    struct Found {
        bool is_string = false;
        std::string_view text;
    };
    std::optional<Found> find(JsonDocument& doc) const;

    struct Step {
        std::string key;
        size_t index = 0;
        bool is_index = false;
    };
    std::vector<Step> steps_;
    std::string spelling_;
};

}  // namespace kpipe
