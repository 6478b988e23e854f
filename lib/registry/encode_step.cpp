#include "registry/encode_step.hpp"

#include <filesystem>

#include "codec.hpp"
#include "file_text.hpp"
#include "registry/proto_files.hpp"
#include "registry/wire_format.hpp"

namespace kpipe::registry {

EncodeSchemas::EncodeSchemas(Client* client, EncodeOptions o) : opts_(o) {
    if (client) codecs_.emplace(*client, CodecOptions{});
}

Result<bool> EncodeSchemas::apply(Item& item) {
    if (auto r = encode(item.record.key, item.record.key_schema, opts_.key_id, key_buf_, "key"); !r)
        return std::unexpected(r.error());
    if (auto r = encode(item.record.value, item.record.value_schema, opts_.value_id, value_buf_, "value"); !r)
        return std::unexpected(r.error());
    return true;
}

Result<void> EncodeSchemas::encode(std::optional<std::string_view>& bytes, const SchemaTag*& tag,
                                   std::optional<int32_t> fixed, std::string& buf, std::string_view which) {
    std::optional<int32_t> id = tag ? std::optional<int32_t>(tag->id) : fixed;
    std::string_view message = tag ? std::string_view(tag->message) : std::string_view();
    tag = nullptr;
    if (!id || !bytes) return {};
    if (!codecs_)
        return fail(Exit::data, "{}_schema: the {} came from a Schema Registry (schema id {}): it needs a registry to "
                                "be encoded again",
                    which, which, *id);
    auto entry = codecs_->get(*id);
    if (!entry) return std::unexpected(entry.error());
    if (!(*entry)->codec) return fail(Exit::data, "{}: {}", which, (*entry)->error->message);
    buf.clear();
    append_frame(buf, *id);
    auto r = (*entry)->codec->encode(*bytes, buf, message);
    if (!r && r.error().message == "not JSON") {
        // A key taken from a string field (--key) is text: encode it as a JSON string.
        quoted_.clear();
        append_json_string(quoted_, *bytes);
        buf.resize(5);
        r = (*entry)->codec->encode(quoted_, buf, message);
    }
    if (!r) return fail(Exit::data, "{}{}", which == "key" ? "key " : "", r.error().message);
    bytes = buf;
    return {};
}

namespace {

std::string type_of_file(const std::string& path) {
    auto ext = std::filesystem::path(path).extension().string();
    if (ext == ".proto") return "protobuf";
    if (ext == ".json") return "json";
    return "avro";
}

}  // namespace

Result<int32_t> resolve_schema(Client& client, const std::string& spec, const std::string& type,
                               const std::string& topic, std::string_view which, bool register_it) {
    if (!spec.empty() && spec.find_first_not_of("0123456789") == std::string::npos) {
        int32_t id = 0;
        try {
            id = std::stoi(spec);
        } catch (const std::exception&) {
            return fail(Exit::usage, "schema id {} is out of range", spec);
        }
        auto s = client.by_id(id);
        if (!s) return std::unexpected(s.error());
        return id;
    }
    std::error_code ec;
    if (std::filesystem::is_regular_file(spec, ec)) {
        auto text = read_file_text(spec);
        if (!text) return fail(Exit::usage, "schema {}", text.error().message);
        std::string t = type.empty() ? type_of_file(spec) : type;
        auto s = t == "protobuf" ? proto_file_schema(client, spec, std::move(*text), register_it)
                                 : Schema{-1, t, std::move(*text), {}};
        if (!s) return std::unexpected(s.error());
        std::string subject = fmt::format("{}-{}", topic, which);
        if (register_it) return client.register_schema(subject, *s);
        auto found = find_registered(client, subject, *s, fmt::format("schema {}", spec));
        if (!found) return std::unexpected(found.error());
        return found->id;
    }
    auto s = client.version(spec, "latest");
    if (!s) return std::unexpected(s.error());
    if (!type.empty() && s->type != type)
        return fail(Exit::usage, "subject '{}' holds a {} schema, not {}", spec, s->type, type);
    return s->id;
}

}  // namespace kpipe::registry
