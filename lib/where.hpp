// A step that keeps the records for which a jq expression on the record's envelope is
// true (--where, --filter): libjq, the expression compiled once.
#pragma once
#include <string>

#include "envelope.hpp"
#include "jq_filter.hpp"
#include "pipeline.hpp"

namespace kpipe {

class Where : public Step {
public:
    // `label` names the expression in errors (the option that gave it).
    static Result<Where> compile(const std::string& expr, std::string label, EnvelopeOptions envelope);
    // Writes the envelope into the item (writers reuse it); a jq error is an error.
    Result<bool> apply(Item& item) override;

private:
    Where(JqFilter jq, std::string label, EnvelopeOptions e) : jq_(std::move(jq)), label_(std::move(label)), writer_(e) {}
    JqFilter jq_;
    std::string label_;
    EnvelopeWriter writer_;
    std::string text_;
};

}  // namespace kpipe
