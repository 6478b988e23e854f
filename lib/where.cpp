#include "where.hpp"

namespace kpipe {

Result<Where> Where::compile(const std::string& expr, std::string label, EnvelopeOptions envelope) {
    auto jq = JqFilter::compile(expr);
    if (!jq) return fail(jq.error().code, "{}: {}", label, jq.error().message);
    return Where(std::move(*jq), std::move(label), envelope);
}

Result<bool> Where::apply(Item& item) {
    text_.clear();
    writer_.append(item.record, text_);
    item.envelope = text_;
    auto keep = jq_.matches(text_);
    if (!keep) return fail(keep.error().code, "{}: {}", label_, keep.error().message);
    return *keep;
}

}  // namespace kpipe
