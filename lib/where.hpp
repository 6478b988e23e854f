// A step that keeps the records for which a jq expression is true (--where, --filter):
// on the record's envelope (consume, tail, replay) or on the event itself (produce). The
// expressions filters use most run on a fast path (jq_fast.hpp) that gives libjq's
// answer without writing and re-parsing the envelope; the rest run in libjq.
#pragma once
#include <optional>
#include <string>

#include "envelope.hpp"
#include "jq_fast.hpp"
#include "jq_filter.hpp"
#include "pipeline.hpp"

namespace kpipe {

enum class JqInput { envelope, value };

class Where : public Step {
public:
    // `label` names the expression in errors (the option that gave it).
    static Result<Where> compile(const std::string& expr, std::string label, EnvelopeOptions envelope,
                                 JqInput input = JqInput::envelope);
    // A jq error is an error. In envelope mode, when libjq ran, the envelope it read is
    // left in the item (writers reuse it).
    Result<bool> apply(Item& item) override;
    bool fast() const { return fast_.has_value(); }

private:
    Where(JqFilter jq, std::optional<FastFilter> fast, std::string label, JqInput input, EnvelopeOptions e)
        : jq_(std::move(jq)), fast_(std::move(fast)), label_(std::move(label)), input_(input), options_(e), writer_(e) {}
    JqFilter jq_;
    std::optional<FastFilter> fast_;
    std::string label_;
    JqInput input_;
    EnvelopeOptions options_;
    EnvelopeWriter writer_;
    std::string text_;
};

}  // namespace kpipe
