#include "registry/decode_step.hpp"

#include <algorithm>

#include "registry/wire_format.hpp"

namespace kpipe::registry {

const SchemaTag& Codecs::Entry::tag_for(std::string_view topic, std::string_view which, std::string_view message) {
    if (subjects.size() < 2 && message.empty()) return tag;
    std::string subject = fmt::format("{}-{}", topic, which);
    if (std::find(subjects.begin(), subjects.end(), subject) == subjects.end()) subject = tag.subject;
    std::string key = subject + '\n' + std::string(message);
    if (auto it = by_subject_.find(key); it != by_subject_.end()) return it->second;
    SchemaTag t = tag;
    t.subject = subject;
    t.message = message;
    return by_subject_.emplace(key, std::move(t)).first->second;
}

Result<Codecs::Entry*> Codecs::get(int32_t id) {
    if (auto it = entries_.find(id); it != entries_.end()) return &it->second;
    Entry e;
    auto schema = client_.by_id(id);
    if (!schema) {
        if (schema.error().code == Exit::connect) return std::unexpected(schema.error());
        e.error = schema.error();
    } else {
        e.tag.type = schema->type;
        e.tag.id = id;
        auto subjects = client_.subjects_of(id);
        if (!subjects) return std::unexpected(subjects.error());
        e.subjects = std::move(*subjects);
        if (!e.subjects.empty()) e.tag.subject = e.subjects.front();
        auto codec = make_codec(*schema, &client_, options_);
        if (!codec) {
            if (codec.error().code == Exit::connect) return std::unexpected(codec.error());
            e.error = codec.error();
        } else {
            e.codec = std::move(*codec);
        }
    }
    return &entries_.emplace(id, std::move(e)).first->second;
}

Result<bool> DecodeSchemas::apply(Item& item) {
    auto& rec = item.record;
    if (auto r = decode(item, rec.key, rec.key_schema, rec.key_binary, key_buf_, "key"); !r)
        return std::unexpected(r.error());
    if (auto r = decode(item, rec.value, rec.value_schema, rec.value_binary, value_buf_, "value"); !r)
        return std::unexpected(r.error());
    return true;
}

Result<void> DecodeSchemas::decode(Item& item, std::optional<std::string_view>& bytes, const SchemaTag*& tag,
                                   bool& binary, std::string& buf, std::string_view which) {
    if (!bytes || tag) return {};
    auto framed = unframe(*bytes);
    if (!framed) {
        if (which == "value" && unframed_++ == 0 && opts_.warn)
            opts_.warn(fmt::format("{}: the value is not in the Schema Registry wire format: kept as it is (said once; "
                                   "such values are counted)",
                                   places_.format(item.pos)));
        return {};
    }
    auto entry = codecs_.get(framed->id);
    if (!entry) return std::unexpected(entry.error());
    std::optional<std::string> why;
    if (!(*entry)->codec) {
        why = (*entry)->error->message;
    } else {
        buf.clear();
        if (auto r = (*entry)->codec->decode(framed->payload, buf, message_); !r) why = fmt::format("schema id {}: {}", framed->id, r.error().message);
    }
    if (why) {
        if (opts_.strict) return fail(Exit::data, "{}: {}", which, *why);
        ++undecoded_;
        if (opts_.warn)
            opts_.warn(fmt::format("{}: {} kept undecoded (base64): {}", places_.format(item.pos), which, *why));
        binary = true;
        item.envelope = {};
        return {};
    }
    bytes = buf;
    tag = &(*entry)->tag_for(item.record.topic, which, message_);
    item.envelope = {};
    return {};
}

}  // namespace kpipe::registry
