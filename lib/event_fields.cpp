#include "event_fields.hpp"

#include "envelope.hpp"
#include "timestamp.hpp"

namespace kpipe {

Result<int64_t> sendable_time(int64_t ms) {
    if (ms < 0) return fail(Exit::data, "{} is before 1970: Kafka timestamps cannot be negative", ms);
    if (ms == 0) return fail(Exit::data, "0 (1970-01-01T00:00:00Z) cannot be sent: Kafka clients take 0 as 'now'");
    return ms;
}

Result<bool> EventFields::apply(Item& item) {
    RecordView& r = item.record;
    if (!r.value) return fail(Exit::data, "no event");
    simdjson::dom::element root;
    if (auto e = parse_json(parser_, pad_, *r.value, root))
        return fail(Exit::data, "not valid JSON: {}", simdjson::error_message(e));
    r.key.reset();
    r.timestamp = -1;
    if (key_) {
        if (auto k = key_->text(root, key_scratch_)) r.key = *k;
    }
    if (!timestamp_) return true;
    auto t = timestamp_->find(root);
    if (!t || t->is_null()) return true;
    const std::string& field = timestamp_->spelling();
    int64_t ms = -1;
    std::string_view text;
    if (t->get_int64().get(ms) == simdjson::SUCCESS) {
        auto ok = sendable_time(ms);
        if (!ok) return fail(Exit::data, "field {}: {}", field, ok.error().message);
        r.timestamp = ms;
    } else if (t->get_string().get(text) == simdjson::SUCCESS) {
        auto parsed = parse_time(text);
        if (parsed) parsed = sendable_time(*parsed);
        if (!parsed) return fail(Exit::data, "field {}: {}", field, parsed.error().message);
        r.timestamp = *parsed;
    } else {
        return fail(Exit::data, "field {}: expected epoch milliseconds or an ISO-8601 time, got {}", field,
                    simdjson::minify(*t));
    }
    return true;
}

}  // namespace kpipe
