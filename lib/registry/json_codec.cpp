// JSON Schema records: the payload after the frame is the JSON document itself. Decoding
// keeps its bytes; encoding checks the document against the schema (valijson, through
// SchemaCheck) and sends it as it is.
#include "json.hpp"
#include "registry/schema_codec.hpp"
#include "schema_check.hpp"

namespace kpipe::registry {

namespace {

class JsonCodec : public Codec {
public:
    explicit JsonCodec(std::unique_ptr<SchemaCheck> check) : check_(std::move(check)) {}

    Result<void> decode(std::string_view payload, std::string& out, std::string& message) override {
        message.clear();
        if (!json_.valid(payload)) return fail(Exit::data, "a JSON Schema record whose payload is not JSON");
        out += payload;
        return {};
    }

    Result<void> encode(std::string_view json, std::string& out, std::string_view message) override {
        (void)message;
        if (auto r = check_->check(json); !r) return r;
        out += json;
        return {};
    }

private:
    std::unique_ptr<SchemaCheck> check_;
    JsonDocument json_;
};

}  // namespace

Result<std::unique_ptr<Codec>> make_json_codec(const Schema& s) {
    auto check = SchemaCheck::parse(s.text, fmt::format("id {}", s.id));
    if (!check) return fail(Exit::data, "{}", check.error().message);
    return std::make_unique<JsonCodec>(std::move(*check));
}

}  // namespace kpipe::registry
