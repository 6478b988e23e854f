#include "field_path.hpp"

#include <charconv>

#include "timestamp.hpp"

namespace kpipe {

namespace {

struct Cursor {
    std::string_view text;
    size_t pos = 0;
    bool done() const { return pos >= text.size(); }
    char peek() const { return text[pos]; }
};

// A double-quoted name with \" and \\ escapes; the cursor is on the opening quote.
Result<std::string> quoted(Cursor& c, std::string_view path) {
    std::string out;
    for (++c.pos; !c.done(); ++c.pos) {
        char ch = c.peek();
        if (ch == '"') {
            ++c.pos;
            return out;
        }
        if (ch == '\\' && c.pos + 1 < c.text.size()) ch = c.text[++c.pos];
        out += ch;
    }
    return fail(Exit::usage, "invalid field path '{}': unterminated quoted name", path);
}

// Raw JSON text without white space outside strings, written into `out`.
std::string_view compact(std::string_view raw, std::string& out) {
    out.resize(raw.size());
    size_t n = 0;
    if (simdjson::minify(raw.data(), raw.size(), out.data(), n) != simdjson::SUCCESS) n = 0;
    out.resize(n);
    if (n == 0) out.assign(raw);
    return out;
}

}  // namespace

Result<FieldPath> FieldPath::parse(std::string_view text) {
    FieldPath fp;
    fp.spelling_ = text;
    auto bad = [&](size_t at, std::string_view why) {
        return fail(Exit::usage, "invalid field path '{}' at position {}: {} (expected e.g. .userid, .user.id, .items[0])",
                    text, at + 1, why);
    };
    if (text.empty() || text.front() != '.') return bad(0, "must start with '.'");
    Cursor c{text, 0};
    if (text == ".") return fp;
    while (!c.done()) {
        char ch = c.peek();
        if (ch == '.') {
            ++c.pos;
            if (c.done()) return bad(c.pos - 1, "'.' must be followed by a name");
            if (c.peek() == '[') continue;
            if (c.peek() == '"') {
                auto name = quoted(c, text);
                if (!name) return std::unexpected(name.error());
                fp.steps_.push_back({std::move(*name), 0, false});
                continue;
            }
            size_t start = c.pos;
            while (!c.done() && c.peek() != '.' && c.peek() != '[' && c.peek() != ']') ++c.pos;
            if (c.pos == start) return bad(start, "empty name");
            fp.steps_.push_back({std::string(text.substr(start, c.pos - start)), 0, false});
        } else if (ch == '[') {
            ++c.pos;
            if (c.done()) return bad(c.pos - 1, "unterminated '['");
            if (c.peek() == '"') {
                auto name = quoted(c, text);
                if (!name) return std::unexpected(name.error());
                fp.steps_.push_back({std::move(*name), 0, false});
            } else {
                size_t index = 0;
                auto [end, ec] = std::from_chars(text.data() + c.pos, text.data() + text.size(), index);
                if (ec != std::errc() || end == text.data() + c.pos) return bad(c.pos, "expected an array index");
                c.pos = static_cast<size_t>(end - text.data());
                fp.steps_.push_back({{}, index, true});
            }
            if (c.done() || c.peek() != ']') return bad(c.pos, "expected ']'");
            ++c.pos;
        } else {
            return bad(c.pos, "expected '.' or '['");
        }
    }
    return fp;
}

std::optional<simdjson::dom::element> FieldPath::find(simdjson::dom::element root) const {
    simdjson::dom::element e = root;
    for (const auto& s : steps_) {
        simdjson::dom::element next;
        if (s.is_index) {
            simdjson::dom::array a;
            if (e.get_array().get(a) || a.at(s.index).get(next)) return std::nullopt;
        } else {
            simdjson::dom::object o;
            if (e.get_object().get(o) || o.at_key(s.key).get(next)) return std::nullopt;
        }
        e = next;
    }
    return e;
}

std::optional<std::string_view> FieldPath::text(simdjson::dom::element root, std::string& scratch) const {
    auto e = find(root);
    if (!e || e->is_null()) return std::nullopt;
    std::string_view s;
    if (e->get_string().get(s) == simdjson::SUCCESS) return s;
    scratch = simdjson::minify(*e);
    return std::string_view(scratch);
}

std::optional<FieldPath::Found> FieldPath::find(JsonDocument& doc) const {
    namespace ondemand = simdjson::ondemand;
    using type = ondemand::json_type;
    ondemand::document d;
    type t;
    if (doc.iterate(d) || d.type().get(t)) return std::nullopt;
    if (t != type::object && t != type::array) {  // a scalar document: only `.` reaches it
        std::string_view s;
        if (!steps_.empty() || t == type::null) return std::nullopt;
        if (t == type::string) return d.get_string().get(s) ? std::nullopt : std::optional(Found{true, s});
        return Found{false, trim_json_space(doc.text())};
    }
    ondemand::value v;
    if (d.get_value().get(v)) return std::nullopt;
    for (const auto& s : steps_) {
        bool found = false;
        if (s.is_index) {
            ondemand::array a;
            if (v.get_array().get(a)) return std::nullopt;
            size_t i = 0;
            for (auto item : a) {
                if (i++ != s.index) continue;
                if (item.get(v)) return std::nullopt;
                found = true;
                break;
            }
        } else {
            ondemand::object o;
            if (v.get_object().get(o)) return std::nullopt;
            for (auto field : o) {
                std::string_view key;
                if (field.unescaped_key().get(key)) return std::nullopt;
                if (key != s.key) continue;
                if (field.value().get(v)) return std::nullopt;
                found = true;
                break;
            }
        }
        if (!found) return std::nullopt;
    }
    if (v.type().get(t) || t == type::null) return std::nullopt;
    Found f;
    f.is_string = t == type::string;
    if (f.is_string ? v.get_string().get(f.text) : raw_json_of(v, f.text)) return std::nullopt;
    return f;
}

std::optional<std::string_view> FieldPath::text(JsonDocument& doc, std::string& scratch) const {
    if (const auto& root = doc.dom()) return text(*root, scratch);
    auto f = find(doc);
    if (!f) return std::nullopt;
    if (!f->is_string) return compact(f->text, scratch);
    scratch.assign(f->text);  // the on-demand parser reuses its string buffer on the next lookup
    return std::string_view(scratch);
}

Result<std::optional<int64_t>> FieldPath::timestamp(JsonDocument& doc) const {
    auto from_string = [&](std::string_view s) -> Result<std::optional<int64_t>> {
        auto ms = parse_time(s);
        if (!ms) return fail(Exit::data, "field {}: {}", spelling_, ms.error().message);
        return *ms;
    };
    auto wrong = [&](std::string_view got) {
        return fail(Exit::data, "field {}: expected epoch milliseconds or an ISO-8601 time, got {}", spelling_, got);
    };
    int64_t ms = -1;
    if (const auto& root = doc.dom()) {
        auto e = find(*root);
        std::string_view s;
        if (!e || e->is_null()) return std::nullopt;
        if (e->get_int64().get(ms) == simdjson::SUCCESS) return ms;
        if (e->get_string().get(s) == simdjson::SUCCESS) return from_string(s);
        return wrong(simdjson::minify(*e));
    }
    auto f = find(doc);
    if (!f) return std::nullopt;
    if (f->is_string) return from_string(f->text);
    const char* end = f->text.data() + f->text.size();
    if (auto [p, ec] = std::from_chars(f->text.data(), end, ms); ec == std::errc() && p == end) return ms;
    std::string scratch;
    return wrong(compact(f->text, scratch));
}

}  // namespace kpipe
