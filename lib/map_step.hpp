// --map EXPR: a step that replaces each record by the jq expression's outputs, zero or
// more per record. The input is the envelope (consume, tail, replay) or the event
// (produce). Each output becomes the record's value (consume prints it as one compact
// JSON line; produce sends it as the event), or, for replay, a whole envelope.
#pragma once
#include <string>
#include <vector>

#include "envelope.hpp"
#include "jq_filter.hpp"
#include "pipeline.hpp"
#include "where.hpp"

namespace kpipe {

enum class MapOutput { value, envelope };

class Map : public Step {
public:
    static Result<Map> compile(const std::string& expr, std::string label, EnvelopeOptions envelope, JqInput input,
                               MapOutput output);
    Result<bool> apply(Item& item) override;
    bool expands() const override { return true; }
    Result<bool> more(Item& item) override;

private:
    Map(JqFilter jq, std::string label, EnvelopeOptions e, JqInput input, MapOutput output)
        : jq_(std::move(jq)), label_(std::move(label)), writer_(e), input_(input), output_(output) {}
    Result<bool> emit(Item& item);

    JqFilter jq_;
    std::string label_;
    EnvelopeWriter writer_;
    EnvelopeReader reader_;
    JqInput input_;
    MapOutput output_;
    std::string text_;
    std::vector<std::string> outputs_;
    size_t next_ = 0;
    Record envelope_;
};

}  // namespace kpipe
