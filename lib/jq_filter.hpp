// A jq expression (libjq) evaluated against one JSON value at a time: as a filter (kept
// when it yields a truthy value: not false, not null) or for its outputs.
#pragma once
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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
    // Every output of the expression for `json`, each as compact JSON, into `out`
    // (cleared first). A jq error at run time is an error.
    Result<void> outputs(std::string_view json, std::vector<std::string>& out);

    JqFilter(JqFilter&&) noexcept = default;
    JqFilter& operator=(JqFilter&&) noexcept = default;
    ~JqFilter();

private:
    template <class F>
    Result<void> run(std::string_view json, F&& each);
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
