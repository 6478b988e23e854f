#include "where.hpp"

namespace kpipe {

Result<Where> Where::compile(const std::string& expr, std::string label, EnvelopeOptions envelope, JqInput input) {
    auto jq = JqFilter::compile(expr);
    if (!jq) return fail(jq.error().code, "{}: {}", label, jq.error().message);
    return Where(std::move(*jq), FastFilter::compile(expr), std::move(label), input, envelope);
}

Result<bool> Where::apply(Item& item) {
    std::string_view json;
    if (input_ == JqInput::envelope) {
        if (fast_) {
            auto a = fast_->envelope(item.record, options_.iso_time);
            if (a != FastFilter::Answer::ask_jq) return a == FastFilter::Answer::yes;
        }
        text_.clear();
        writer_.append(item.record, text_);
        item.envelope = text_;
        json = text_;
    } else {
        if (!item.record.value) return false;  // no event
        json = *item.record.value;
        if (fast_) {
            auto a = fast_->document(json);
            if (a != FastFilter::Answer::ask_jq) return a == FastFilter::Answer::yes;
        }
    }
    auto keep = jq_.matches(json);
    if (!keep) return fail(keep.error().code, "{}: {}", label_, keep.error().message);
    return *keep;
}

}  // namespace kpipe
