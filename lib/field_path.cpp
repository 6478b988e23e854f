#include "field_path.hpp"

#include <charconv>

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

}  // namespace kpipe
