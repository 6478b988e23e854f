#include "jq_filter.hpp"

extern "C" {
#include <jq.h>
#include <jv.h>
}

namespace kpipe {

namespace {

void on_error(void* data, jv msg) noexcept {
    auto* text = static_cast<std::string*>(data);
    jv formatted = jq_format_error(msg);  // takes msg
    if (jv_get_kind(formatted) == JV_KIND_STRING) {
        if (!text->empty()) *text += "; ";
        *text += jv_string_value(formatted);
    }
    jv_free(formatted);
}

bool truthy(jv v) {
    jv_kind k = jv_get_kind(v);
    return k != JV_KIND_NULL && k != JV_KIND_FALSE;
}

}  // namespace

void JqFilter::Teardown::operator()(jq_state* jq) const noexcept { jq_teardown(&jq); }

JqFilter::~JqFilter() = default;

Result<JqFilter> JqFilter::compile(const std::string& expr) {
    JqFilter f;
    f.messages_ = std::make_unique<Messages>();
    f.jq_.reset(jq_init());
    if (!f.jq_) return fail(Exit::runtime, "cannot initialise jq");
    jq_set_error_cb(f.jq_.get(), on_error, &f.messages_->text);
    if (!jq_compile(f.jq_.get(), expr.c_str())) {
        std::string why = f.messages_->text.empty() ? "does not compile" : f.messages_->text;
        return fail(Exit::usage, "invalid jq expression '{}': {}", expr, why);
    }
    return f;
}

template <class F>
Result<void> JqFilter::run(std::string_view json, F&& each) {
    jv input = jv_parse_sized(json.data(), static_cast<int>(json.size()));
    if (!jv_is_valid(input)) {
        jv_free(input);
        return fail(Exit::data, "input is not JSON");
    }
    jq_start(jq_.get(), input, 0);  // takes input
    for (;;) {
        jv out = jq_next(jq_.get());
        if (jv_is_valid(out)) {
            if (!each(out)) return {};  // takes out; the next jq_start() resets the rest
            continue;
        }
        if (jv_invalid_has_msg(jv_copy(out))) {
            jv msg = jv_invalid_get_msg(out);
            std::string text = jv_get_kind(msg) == JV_KIND_STRING ? jv_string_value(msg) : "error";
            jv_free(msg);
            return fail(Exit::data, "{}", text);
        }
        jv_free(out);
        return {};
    }
}

Result<bool> JqFilter::matches(std::string_view json) {
    bool yes = false;
    auto r = run(json, [&](jv out) {
        yes = truthy(out);
        jv_free(out);
        return !yes;
    });
    if (!r) return std::unexpected(r.error());
    return yes;
}

Result<void> JqFilter::outputs(std::string_view json, std::vector<std::string>& out) {
    out.clear();
    return run(json, [&](jv v) {
        jv text = jv_dump_string(v, 0);  // takes v; compact
        out.emplace_back(jv_string_value(text), static_cast<size_t>(jv_string_length_bytes(jv_copy(text))));
        jv_free(text);
        return true;
    });
}

}  // namespace kpipe
