#include "json.hpp"

#include <cstring>
#include <new>

namespace kpipe {

namespace {

using simdjson::error_code;
using simdjson::SUCCESS;
namespace ondemand = simdjson::ondemand;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Every part of a value, as simdjson's DOM parser would check it, numbers by grammar only.
error_code check_value(ondemand::value v, size_t depth, size_t max_depth) {
    ondemand::json_type type;
    if (auto e = v.type().get(type)) return e;
    switch (type) {
        case ondemand::json_type::object: {
            if (depth >= max_depth) return simdjson::DEPTH_ERROR;
            ondemand::object object;
            if (auto e = v.get_object().get(object)) return e;
            for (auto field : object) {
                std::string_view key;
                ondemand::value child;
                if (auto e = field.unescaped_key().get(key)) return e;
                if (auto e = field.value().get(child)) return e;
                if (auto e = check_value(child, depth + 1, max_depth)) return e;
            }
            return SUCCESS;
        }
        case ondemand::json_type::array: {
            if (depth >= max_depth) return simdjson::DEPTH_ERROR;
            ondemand::array array;
            if (auto e = v.get_array().get(array)) return e;
            for (auto item : array) {
                ondemand::value child;
                if (auto e = item.get(child)) return e;
                if (auto e = check_value(child, depth + 1, max_depth)) return e;
            }
            return SUCCESS;
        }
        case ondemand::json_type::number:
            return is_json_number(trim_json_space(v.raw_json_token())) ? SUCCESS : simdjson::NUMBER_ERROR;
        case ondemand::json_type::string: {
            std::string_view s;
            return v.get_string().get(s);
        }
        case ondemand::json_type::boolean: {
            bool b = false;
            return v.get_bool().get(b);
        }
        case ondemand::json_type::null: {
            bool is_null = false;
            if (auto e = v.is_null().get(is_null)) return e;
            return is_null ? SUCCESS : simdjson::N_ATOM_ERROR;
        }
    }
    return simdjson::TAPE_ERROR;
}

// The whole document: one value and nothing after it.
error_code check_document(ondemand::document& doc, std::string_view text, size_t max_depth) {
    ondemand::json_type type;
    if (auto e = doc.type().get(type)) return e;
    error_code e = SUCCESS;
    switch (type) {
        case ondemand::json_type::object:
        case ondemand::json_type::array: {
            ondemand::value root;
            e = doc.get_value().get(root);
            if (!e) e = check_value(root, 0, max_depth);
            break;
        }
        case ondemand::json_type::number:  // a number alone is the whole text
            return is_json_number(trim_json_space(text)) ? SUCCESS : simdjson::NUMBER_ERROR;
        case ondemand::json_type::string: {
            std::string_view s;
            e = doc.get_string().get(s);
            break;
        }
        case ondemand::json_type::boolean: {
            bool b = false;
            e = doc.get_bool().get(b);
            break;
        }
        case ondemand::json_type::null: {
            bool is_null = false;
            e = doc.is_null().get(is_null);
            if (!e && !is_null) e = simdjson::N_ATOM_ERROR;
            break;
        }
    }
    if (e) return e;
    const char* rest = nullptr;
    if (doc.current_location().get(rest) == SUCCESS) return simdjson::TRAILING_CONTENT;
    return SUCCESS;
}

}  // namespace

std::string_view trim_json_space(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string_view padded(std::string& pad, std::string_view bytes) {
    if (pad.size() < bytes.size() + simdjson::SIMDJSON_PADDING) pad.resize(bytes.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(pad.data(), bytes.data(), bytes.size());
    return {pad.data(), bytes.size()};
}

bool is_json_number(std::string_view s) {
    size_t i = 0;
    auto digits = [&] {
        size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
        return i > start;
    };
    if (i < s.size() && s[i] == '-') ++i;
    if (i < s.size() && s[i] == '0') ++i;
    else if (!digits()) return false;
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (!digits()) return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        if (!digits()) return false;
    }
    return i == s.size();
}

error_code raw_json_of(ondemand::value v, std::string_view& raw) {
    ondemand::json_type t;
    if (auto e = v.type().get(t)) return e;
    if (t == ondemand::json_type::object) {
        ondemand::object o;
        if (auto e = v.get_object().get(o)) return e;
        return o.raw_json().get(raw);
    }
    if (t == ondemand::json_type::array) {
        ondemand::array a;
        if (auto e = v.get_array().get(a)) return e;
        return a.raw_json().get(raw);
    }
    raw = trim_json_space(v.raw_json_token());
    return SUCCESS;
}

JsonDocument::JsonDocument(size_t max_depth) : max_depth_(max_depth) {
    if (dom_.allocate(simdjson::dom::MINIMAL_DOCUMENT_CAPACITY, max_depth) ||
        ondemand_.allocate(simdjson::dom::MINIMAL_DOCUMENT_CAPACITY, max_depth))
        throw std::bad_alloc();
}

error_code parse_json(simdjson::dom::parser& parser, std::string& pad, std::string_view bytes,
                      simdjson::dom::element& out) {
    auto view = padded(pad, bytes);
    return parser.parse(view.data(), view.size(), false).get(out);
}

error_code JsonDocument::parse(std::string_view bytes) {
    simdjson::dom::element root;
    auto e = parse_json(dom_, pad_, bytes, root);
    size_ = bytes.size();
    if (e == SUCCESS) {
        root_ = root;
        return SUCCESS;
    }
    root_.reset();
    if (e != simdjson::NUMBER_ERROR) return e;
    // A number too large for the DOM, or one that breaks the grammar: walk it on demand.
    ondemand::document doc;
    if (auto e2 = iterate(doc)) return e2;
    return check_document(doc, text(), max_depth_);
}

error_code JsonDocument::iterate(ondemand::document& doc) {
    return ondemand_.iterate(pad_.data(), size_, pad_.size()).get(doc);
}

}  // namespace kpipe
