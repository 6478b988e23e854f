#include "event_fields.hpp"

namespace kpipe {

Result<int64_t> sendable_time(int64_t ms) {
    if (ms < 0) return fail(Exit::data, "{} is before 1970: Kafka timestamps cannot be negative", ms);
    if (ms == 0) return fail(Exit::data, "0 (1970-01-01T00:00:00Z) cannot be sent: Kafka clients take 0 as 'now'");
    return ms;
}

Result<bool> EventFields::apply(Item& item) {
    RecordView& r = item.record;
    if (!r.value) return fail(Exit::data, "no event");
    if (auto e = json_.parse(*r.value)) return fail(Exit::data, "not valid JSON: {}", simdjson::error_message(e));
    r.key.reset();
    r.timestamp = -1;
    if (key_) {
        if (auto k = key_->text(json_, key_scratch_)) r.key = *k;
    }
    if (!timestamp_) return true;
    auto t = timestamp_->timestamp(json_);
    if (!t) return std::unexpected(t.error());
    if (!*t) return true;
    auto ok = sendable_time(**t);
    if (!ok) return fail(Exit::data, "field {}: {}", timestamp_->spelling(), ok.error().message);
    r.timestamp = **t;
    return true;
}

}  // namespace kpipe
