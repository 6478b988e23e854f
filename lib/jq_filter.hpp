// A jq expression (libjq) evaluated against each record's envelope object;
// a record is kept when the expression yields a truthy value (not false, not null).
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "error.hpp"

struct jq_state;

namespace kpipe {

class JqFilter {
public:
    // A compile error (exit 2) quotes jq's message.
    static Result<JqFilter> compile(const std::string& expr);
    // True when `json` (one JSON value) makes the expression yield a truthy value. A jq
    // error at run time (e.g. indexing a string) is returned as an error message.
    Result<bool> matches(std::string_view json);

    JqFilter(JqFilter&&) noexcept = default;
    JqFilter& operator=(JqFilter&&) noexcept = default;
    ~JqFilter();

private:
    struct Teardown {
        void operator()(jq_state* jq) const noexcept;
    };
    struct Messages {
        std::string text;
    };
    JqFilter() = default;
    std::unique_ptr<Messages> messages_;
    std::unique_ptr<jq_state, Teardown> jq_;
};

}  // namespace kpipe
