#include "map_step.hpp"

namespace kpipe {

Result<Map> Map::compile(const std::string& expr, std::string label, EnvelopeOptions envelope, JqInput input,
                         MapOutput output) {
    auto jq = JqFilter::compile(expr);
    if (!jq) return fail(jq.error().code, "{}: {}", label, jq.error().message);
    return Map(std::move(*jq), std::move(label), envelope, input, output);
}

Result<bool> Map::apply(Item& item) {
    std::string_view json;
    if (input_ == JqInput::envelope) {
        if (item.envelope.empty()) {
            text_.clear();
            writer_.append(item.record, text_);
            json = text_;
        } else {
            json = item.envelope;
        }
    } else {
        if (!item.record.value) return false;
        json = *item.record.value;
    }
    if (auto r = jq_.outputs(json, outputs_); !r) return fail(r.error().code, "{}: {}", label_, r.error().message);
    next_ = 0;
    return emit(item);
}

Result<bool> Map::more(Item& item) { return emit(item); }

Result<bool> Map::emit(Item& item) {
    if (next_ >= outputs_.size()) return false;
    const std::string& out = outputs_[next_++];
    item.envelope = {};
    if (output_ == MapOutput::value) {
        item.record.value = out;
        return true;
    }
    auto parsed = reader_.parse(out);
    if (!parsed) return fail(Exit::data, "{}: output is not an envelope: {}", label_, parsed.error().message);
    envelope_ = std::move(*parsed);
    item.record = view_of(envelope_);
    return true;
}

}  // namespace kpipe
