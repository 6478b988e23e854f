#include "schema_check.hpp"

#include <regex>

#include <nlohmann/json.hpp>

// valijson reports a bad schema by exception (else it aborts).
#define VALIJSON_USE_EXCEPTIONS 1
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include "file_text.hpp"

namespace kpipe {

struct SchemaCheck::Impl {
    valijson::Schema schema;
    valijson::Validator validator{valijson::Validator::kStrongTypes};
};

namespace {

// valijson's context ("<root>", "[rating]", "[0]") as a JSON pointer ("/rating/0").
std::string pointer(const std::vector<std::string>& context) {
    std::string out;
    for (const auto& c : context) {
        if (c == "<root>") continue;
        std::string name = c.size() >= 2 && c.front() == '[' && c.back() == ']' ? c.substr(1, c.size() - 2) : c;
        out += '/';
        for (char ch : name) out += ch == '~' ? "~0" : ch == '/' ? "~1" : std::string(1, ch);
    }
    return out.empty() ? "/" : out;
}

// valijson writes numbers with std::to_string: 5.000000 reads better as 5.
std::string tidy(std::string text) {
    static const std::regex trailing(R"((\d+)\.0+\b)");
    text = std::regex_replace(text, trailing, "$1");
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    if (text.ends_with('.')) text.pop_back();
    return text;
}

}  // namespace

SchemaCheck::SchemaCheck(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SchemaCheck::~SchemaCheck() = default;

Result<std::unique_ptr<SchemaCheck>> SchemaCheck::load(const std::string& path) {
    auto text = read_file_text(path);
    if (!text) return fail(Exit::usage, "schema {}", text.error().message);
    return parse(*text, path);
}

Result<std::unique_ptr<SchemaCheck>> SchemaCheck::parse(const std::string& text, const std::string& path) {
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded()) return fail(Exit::usage, "schema {}: not JSON", path);
    auto impl = std::make_unique<Impl>();
    try {
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        valijson::adapters::NlohmannJsonAdapter adapter(doc);
        parser.populateSchema(adapter, impl->schema);
    } catch (const std::exception& e) {
        return fail(Exit::usage, "schema {}: {}", path, e.what());
    }
    return std::unique_ptr<SchemaCheck>(new SchemaCheck(std::move(impl)));
}

Result<bool> SchemaCheck::apply(Item& item) {
    if (!item.record.value) return fail(Exit::data, "schema: the record has no value (null)");
    if (auto r = check(*item.record.value); !r) return std::unexpected(r.error());
    return true;
}

Result<void> SchemaCheck::check(std::string_view json) {
    auto doc = nlohmann::json::parse(json, nullptr, false);
    if (doc.is_discarded()) return fail(Exit::data, "schema: the value is not JSON");
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter adapter(doc);
    if (impl_->validator.validate(impl_->schema, adapter, &results)) return {};
    // The innermost error says most: the last one valijson pushed for the deepest place.
    valijson::ValidationResults::Error e, deepest;
    while (results.popError(e))
        if (deepest.context.empty() || e.context.size() > deepest.context.size()) deepest = e;
    std::string where = pointer(deepest.context);
    std::string got;
    try {
        auto at = doc.at(nlohmann::json::json_pointer(where == "/" ? "" : where));
        got = at.dump();
        if (got.size() > 60) got = got.substr(0, 57) + "...";
    } catch (const std::exception&) {
    }
    return fail(Exit::data, "{}: {}{}", where, tidy(deepest.description), got.empty() ? "" : " (got " + got + ")");
}

}  // namespace kpipe
