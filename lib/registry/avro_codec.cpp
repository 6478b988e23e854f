// Avro through the Apache Avro C library (libavro): it parses the schema and reads and
// writes the binary encoding into its generic values. libavro knows no logical types,
// so a small tree made from the schema's JSON (avro_tree) says where decimals are and
// how union branches are named; the walk between generic values and JSON is here.
#include <avro.h>

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "codec.hpp"
#include "registry/avro_references.hpp"
#include "registry/avro_tree.hpp"
#include "registry/schema_codec.hpp"
#include "registry/decimal.hpp"

namespace kpipe::registry {

namespace {

using json = nlohmann::ordered_json;

std::string libavro_error() {
    std::string e = avro_strerror();
    while (!e.empty() && (e.back() == '\n' || e.back() == '.')) e.pop_back();
    return e;
}

template <class F>
void append_float(std::string& out, F v) {
    if (std::isnan(v)) {
        out += "\"NaN\"";
    } else if (std::isinf(v)) {
        out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    } else {
        char buf[40];
        auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
        out.append(buf, static_cast<size_t>(p - buf));
    }
}

template <class I>
void append_int(std::string& out, I v) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<size_t>(p - buf));
}

// Avro JSON's bytes: a string whose code points 0-255 are the bytes.
void append_codepoints(std::string& out, std::string_view bytes) {
    std::string text;
    for (unsigned char c : bytes) {
        if (c < 0x80) {
            text += static_cast<char>(c);
        } else {
            text += static_cast<char>(0xc0 | (c >> 6));
            text += static_cast<char>(0x80 | (c & 0x3f));
        }
    }
    append_json_string(out, text);
}

std::string_view kind_of(const json& j) {
    switch (j.type()) {
        case json::value_t::null: return "null";
        case json::value_t::boolean: return "boolean";
        case json::value_t::number_integer:
        case json::value_t::number_unsigned: return "integer";
        case json::value_t::number_float: return "number";
        case json::value_t::string: return "string";
        case json::value_t::array: return "array";
        case json::value_t::object: return "object";
        default: return "something else";
    }
}

class AvroCodec : public Codec {
public:
    AvroCodec(avro_schema_t schema, AvroTree tree, const CodecOptions& o)
        : schema_(schema), tree_(std::move(tree)), avro_json_(o.avro_json) {
        iface_ = avro_generic_class_from_schema(schema_);
        avro_generic_value_new(iface_, &value_);
        reader_ = avro_reader_memory(nullptr, 0);
        writer_ = avro_writer_memory(nullptr, 0);
    }
    ~AvroCodec() override {
        avro_reader_free(reader_);
        avro_writer_free(writer_);
        avro_value_decref(&value_);
        avro_value_iface_decref(iface_);
        avro_schema_decref(schema_);
    }
    AvroCodec(const AvroCodec&) = delete;
    AvroCodec& operator=(const AvroCodec&) = delete;

    Result<void> decode(std::string_view payload, std::string& out, std::string& message) override {
        message.clear();
        avro_reader_memory_set_source(reader_, payload.data(), static_cast<int64_t>(payload.size()));
        avro_value_reset(&value_);
        if (avro_value_read(reader_, &value_) != 0)
            return fail(Exit::data, "not an Avro record of this schema: {}", libavro_error());
        // Bytes after the record would be lost by decoding: such a value stays undecoded.
        if (size_t extra = trailing_bytes(); extra != 0)
            return fail(Exit::data, "{} byte{} after the Avro record", extra, extra == 1 ? "" : "s");
        size_t start = out.size();
        if (!write(&value_, tree_.root(), out)) {
            out.resize(start);
            return fail(Exit::data, "an Avro string is not valid UTF-8");
        }
        return {};
    }

    Result<void> encode(std::string_view text, std::string& out, std::string_view message) override {
        (void)message;
        json j = json::parse(text, nullptr, false);
        if (j.is_discarded()) return fail(Exit::data, "not JSON");
        avro_value_reset(&value_);
        std::string path;
        if (auto r = fill(j, &value_, tree_.root(), path); !r) return r;
        size_t size = 0;
        if (avro_value_sizeof(&value_, &size) != 0) return fail(Exit::data, "Avro: {}", libavro_error());
        size_t start = out.size();
        out.resize(start + size);
        avro_writer_memory_set_dest(writer_, out.data() + start, static_cast<int64_t>(size));
        if (avro_value_write(writer_, &value_) != 0) {
            out.resize(start);
            return fail(Exit::data, "Avro: {}", libavro_error());
        }
        return {};
    }

private:
    // What is left in the reader after a record (libavro's memory reader does not tell
    // its position; a read fails once it is exhausted).
    size_t trailing_bytes() {
        size_t n = 0;
        char byte;
        while (avro_read(reader_, &byte, 1) == 0) ++n;
        return n;
    }

    // Appends `v` as JSON; false when a string is not UTF-8.
    bool write(avro_value_t* v, const AvroNode* n, std::string& out) {
        switch (avro_value_get_type(v)) {
            case AVRO_NULL: out += "null"; return true;
            case AVRO_BOOLEAN: {
                int b = 0;
                avro_value_get_boolean(v, &b);
                out += b ? "true" : "false";
                return true;
            }
            case AVRO_INT32: {
                int32_t i = 0;
                avro_value_get_int(v, &i);
                append_int(out, i);
                return true;
            }
            case AVRO_INT64: {
                int64_t i = 0;
                avro_value_get_long(v, &i);
                append_int(out, i);
                return true;
            }
            case AVRO_FLOAT: {
                float f = 0;
                avro_value_get_float(v, &f);
                append_float(out, f);
                return true;
            }
            case AVRO_DOUBLE: {
                double d = 0;
                avro_value_get_double(v, &d);
                append_float(out, d);
                return true;
            }
            case AVRO_STRING: {
                const char* p = nullptr;
                size_t size = 0;
                avro_value_get_string(v, &p, &size);
                std::string_view s(p, size ? size - 1 : 0);  // size counts the terminating NUL
                if (!is_utf8(s)) return false;
                append_json_string(out, s);
                return true;
            }
            case AVRO_BYTES:
            case AVRO_FIXED: {
                const void* p = nullptr;
                size_t size = 0;
                if (avro_value_get_type(v) == AVRO_BYTES) avro_value_get_bytes(v, &p, &size);
                else avro_value_get_fixed(v, &p, &size);
                std::string_view b(static_cast<const char*>(p), size);
                if (n->decimal && !avro_json_) {
                    append_decimal_json(out, b, n->scale);
                } else if (avro_json_) {
                    append_codepoints(out, b);
                } else {
                    out += '"';
                    append_base64(out, b);
                    out += '"';
                }
                return true;
            }
            case AVRO_ENUM: {
                int i = 0;
                avro_value_get_enum(v, &i);
                const char* symbol = avro_schema_enum_get(avro_value_get_schema(v), i);
                append_json_string(out, symbol ? symbol : "");
                return true;
            }
            case AVRO_RECORD: {
                size_t count = 0;
                avro_value_get_size(v, &count);
                out += '{';
                for (size_t i = 0; i < count; ++i) {
                    avro_value_t child;
                    const char* name = nullptr;
                    avro_value_get_by_index(v, i, &child, &name);
                    if (i) out += ',';
                    append_json_string(out, name);
                    out += ':';
                    if (!write(&child, n->children[i], out)) return false;
                }
                out += '}';
                return true;
            }
            case AVRO_ARRAY: {
                size_t count = 0;
                avro_value_get_size(v, &count);
                out += '[';
                for (size_t i = 0; i < count; ++i) {
                    avro_value_t child;
                    avro_value_get_by_index(v, i, &child, nullptr);
                    if (i) out += ',';
                    if (!write(&child, n->children[0], out)) return false;
                }
                out += ']';
                return true;
            }
            case AVRO_MAP: {
                size_t count = 0;
                avro_value_get_size(v, &count);
                out += '{';
                for (size_t i = 0; i < count; ++i) {
                    avro_value_t child;
                    const char* key = nullptr;
                    avro_value_get_by_index(v, i, &child, &key);
                    if (i) out += ',';
                    if (!is_utf8(key)) return false;
                    append_json_string(out, key);
                    out += ':';
                    if (!write(&child, n->children[0], out)) return false;
                }
                out += '}';
                return true;
            }
            case AVRO_UNION: {
                int d = 0;
                avro_value_t branch;
                avro_value_get_discriminant(v, &d);
                avro_value_get_current_branch(v, &branch);
                const AvroNode* b = n->children[static_cast<size_t>(d)];
                if (!avro_json_ || avro_value_get_type(&branch) == AVRO_NULL) return write(&branch, b, out);
                out += '{';
                append_json_string(out, b->label);
                out += ':';
                if (!write(&branch, b, out)) return false;
                out += '}';
                return true;
            }
            case AVRO_LINK: break;
        }
        out += "null";
        return true;
    }

    static std::string at(const std::string& path) { return path.empty() ? "." : path; }

    Result<void> expected(const std::string& path, std::string_view what, const json& j) {
        return fail(Exit::data, "{}: expected {}, got {}", at(path), what, kind_of(j));
    }

    Result<void> fill(const json& j, avro_value_t* v, const AvroNode* n, std::string& path) {
        avro_schema_t s = avro_value_get_schema(v);
        switch (avro_value_get_type(v)) {
            case AVRO_NULL:
                if (!j.is_null()) return expected(path, "null", j);
                avro_value_set_null(v);
                return {};
            case AVRO_BOOLEAN:
                if (!j.is_boolean()) return expected(path, "boolean", j);
                avro_value_set_boolean(v, j.get<bool>() ? 1 : 0);
                return {};
            case AVRO_INT32: {
                if (!j.is_number_integer()) return expected(path, "int", j);
                if (j.is_number_unsigned() ? j.get<uint64_t>() > INT32_MAX
                                           : (j.get<int64_t>() < INT32_MIN || j.get<int64_t>() > INT32_MAX))
                    return fail(Exit::data, "{}: {} does not fit an Avro int (32 bits)", at(path), j.dump());
                avro_value_set_int(v, static_cast<int32_t>(j.get<int64_t>()));
                return {};
            }
            case AVRO_INT64:
                if (!j.is_number_integer()) return expected(path, "long", j);
                if (j.is_number_unsigned() && j.get<uint64_t>() > INT64_MAX)
                    return fail(Exit::data, "{}: {} does not fit an Avro long (64 bits)", at(path), j.dump());
                avro_value_set_long(v, j.get<int64_t>());
                return {};
            case AVRO_FLOAT:
            case AVRO_DOUBLE: {
                double d = 0;
                if (j.is_number()) d = j.get<double>();
                else if (j.is_string() && j.get<std::string>() == "NaN") d = NAN;
                else if (j.is_string() && j.get<std::string>() == "Infinity") d = INFINITY;
                else if (j.is_string() && j.get<std::string>() == "-Infinity") d = -INFINITY;
                else return expected(path, avro_value_get_type(v) == AVRO_FLOAT ? "float" : "double", j);
                if (avro_value_get_type(v) == AVRO_FLOAT) avro_value_set_float(v, static_cast<float>(d));
                else avro_value_set_double(v, d);
                return {};
            }
            case AVRO_STRING: {
                if (!j.is_string()) return expected(path, "string", j);
                const auto& str = j.get_ref<const std::string&>();
                avro_value_set_string_len(v, str.c_str(), str.size() + 1);
                return {};
            }
            case AVRO_BYTES:
            case AVRO_FIXED: {
                bool fixed = avro_value_get_type(v) == AVRO_FIXED;
                std::string bytes;
                if (n->decimal) {
                    size_t size = fixed ? static_cast<size_t>(avro_schema_fixed_size(s)) : 0;
                    auto d = decimal_from_json(j, n->scale, size);
                    if (!d) return fail(Exit::data, "{}: {}", at(path), d.error());
                    bytes = std::move(*d);
                } else {
                    if (!j.is_string()) return expected(path, fixed ? "base64 string (fixed)" : "base64 string (bytes)", j);
                    auto b = base64_decode(j.get_ref<const std::string&>());
                    if (!b) return fail(Exit::data, "{}: expected base64 bytes, got a string that is not base64", at(path));
                    bytes = std::move(*b);
                }
                if (fixed) {
                    auto size = static_cast<size_t>(avro_schema_fixed_size(s));
                    if (bytes.size() != size)
                        return fail(Exit::data, "{}: expected {} bytes (fixed {}), got {}", at(path), size, n->label,
                                    bytes.size());
                    avro_value_set_fixed(v, bytes.data(), bytes.size());
                } else {
                    avro_value_set_bytes(v, bytes.data(), bytes.size());
                }
                return {};
            }
            case AVRO_ENUM: {
                if (!j.is_string()) return expected(path, "a symbol of enum " + n->label, j);
                int i = avro_schema_enum_get_by_name(s, j.get_ref<const std::string&>().c_str());
                if (i < 0)
                    return fail(Exit::data, "{}: {} is not a symbol of enum {}", at(path), j.dump(), n->label);
                avro_value_set_enum(v, i);
                return {};
            }
            case AVRO_RECORD: {
                if (!j.is_object()) return expected(path, "record " + n->label, j);
                size_t count = 0;
                avro_value_get_size(v, &count);
                size_t used = 0;
                for (size_t i = 0; i < count; ++i) {
                    avro_value_t child;
                    const char* name = nullptr;
                    avro_value_get_by_index(v, i, &child, &name);
                    size_t len = path.size();
                    path += '.';
                    path += name;
                    auto it = j.find(name);
                    Result<void> r;
                    if (it != j.end()) {
                        ++used;
                        r = fill(*it, &child, n->children[i], path);
                    } else if (auto null = null_branch(&child); null >= 0) {
                        avro_value_t branch;
                        avro_value_set_branch(&child, null, &branch);
                    } else {
                        r = fail(Exit::data, "{}: missing (record {} requires it)", path, n->label);
                    }
                    if (!r) return r;
                    path.resize(len);
                }
                if (used < j.size())
                    for (const auto& [k, _] : j.items())
                        if (!n->has_field(k))
                            return fail(Exit::data, "{}.{}: not a field of record {}", path, k, n->label);
                return {};
            }
            case AVRO_ARRAY: {
                if (!j.is_array()) return expected(path, "array", j);
                size_t len = path.size();
                for (size_t i = 0; i < j.size(); ++i) {
                    avro_value_t child;
                    avro_value_append(v, &child, nullptr);
                    path += fmt::format("[{}]", i);
                    if (auto r = fill(j[i], &child, n->children[0], path); !r) return r;
                    path.resize(len);
                }
                return {};
            }
            case AVRO_MAP: {
                if (!j.is_object()) return expected(path, "map (an object)", j);
                size_t len = path.size();
                for (const auto& [k, item] : j.items()) {
                    avro_value_t child;
                    avro_value_add(v, k.c_str(), &child, nullptr, nullptr);
                    path += '.';
                    path += k;
                    if (auto r = fill(item, &child, n->children[0], path); !r) return r;
                    path.resize(len);
                }
                return {};
            }
            case AVRO_UNION: {
                const json* value = &j;
                int branch_index = pick_branch(j, n);
                if (branch_index < 0 && j.is_object() && j.size() == 1) {
                    // The Avro JSON form {"type name": value}.
                    for (size_t i = 0; i < n->children.size(); ++i)
                        if (n->children[i]->label == j.begin().key()) {
                            branch_index = static_cast<int>(i);
                            value = &j.begin().value();
                        }
                }
                if (branch_index < 0) {
                    std::string names;
                    for (const auto* c : n->children) names += (names.empty() ? "" : " or ") + c->label;
                    return expected(path, names, j);
                }
                avro_value_t branch;
                avro_value_set_branch(v, branch_index, &branch);
                return fill(*value, &branch, n->children[static_cast<size_t>(branch_index)], path);
            }
            case AVRO_LINK: break;
        }
        return fail(Exit::data, "{}: unsupported Avro type", at(path));
    }

    static int null_branch(avro_value_t* v) {
        if (avro_value_get_type(v) != AVRO_UNION) return -1;
        avro_schema_t s = avro_value_get_schema(v);
        for (size_t i = 0; i < avro_schema_union_size(s); ++i)
            if (avro_typeof(avro_schema_union_branch(s, static_cast<int>(i))) == AVRO_NULL) return static_cast<int>(i);
        return -1;
    }

    // The union branch a plain JSON value belongs to: the first whose type is the value's
    // own kind (a string for string or enum, an integer for int or long...), else the
    // first that can take it (a number for a double or decimal, a string for bytes).
    static int pick_branch(const json& j, const AvroNode* n) {
        for (int pass = 0; pass < 2; ++pass)
            for (size_t i = 0; i < n->children.size(); ++i)
                if (n->children[i]->accepts(j, pass == 1)) return static_cast<int>(i);
        return -1;
    }

    avro_schema_t schema_;
    AvroTree tree_;
    bool avro_json_;
    avro_value_iface_t* iface_ = nullptr;
    avro_value_t value_{};
    avro_reader_t reader_ = nullptr;
    avro_writer_t writer_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<Codec>> make_avro_codec(const Schema& s, Client* client, const CodecOptions& o) {
    SchemaLookup lookup;
    if (client)
        lookup = [client](const std::string& subject, const std::string& version) {
            return client->version(subject, version);
        };
    auto text = inline_avro_references(s, lookup);
    if (!text) return std::unexpected(text.error());
    auto tree = AvroTree::parse(*text);
    if (!tree) return fail(Exit::data, "schema id {}: {}", s.id, tree.error().message);
    avro_schema_t schema = nullptr;
    if (avro_schema_from_json_length(text->data(), text->size(), &schema) != 0)
        return fail(Exit::data, "schema id {}: not an Avro schema libavro can read: {}", s.id, libavro_error());
    return std::make_unique<AvroCodec>(schema, std::move(*tree), o);
}

}  // namespace kpipe::registry
