// Field paths into a JSON event, jq style: `.userid`, `.user.id`, `.items[0].id`,
// `."odd.key"` or `.["odd.key"]`; `.` is the whole value. Used by `produce --key`
// and `--timestamp` on a simdjson DOM element.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "error.hpp"

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

    const std::string& spelling() const { return spelling_; }

private:
    struct Step {
        std::string key;
        size_t index = 0;
        bool is_index = false;
    };
    std::vector<Step> steps_;
    std::string spelling_;
};

}  // namespace kpipe
