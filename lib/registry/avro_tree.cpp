#include "registry/avro_tree.hpp"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

namespace kpipe::registry {

using json = nlohmann::ordered_json;
using Kind = AvroNode::Kind;

bool AvroNode::has_field(std::string_view name) const {
    return std::find(fields.begin(), fields.end(), name) != fields.end();
}

bool AvroNode::nullable() const {
    if (kind == Kind::null) return true;
    if (kind != Kind::union_) return false;
    return std::any_of(children.begin(), children.end(), [](const AvroNode* c) { return c->kind == Kind::null; });
}

bool AvroNode::accepts(const nlohmann::ordered_json& j, bool loose) const {
    switch (kind) {
        case Kind::null: return j.is_null();
        case Kind::boolean: return j.is_boolean();
        case Kind::int_:
            return j.is_number_integer() && !(j.is_number_unsigned() && j.get<uint64_t>() > INT32_MAX) &&
                   j.get<int64_t>() >= INT32_MIN && j.get<int64_t>() <= INT32_MAX;
        case Kind::long_: return j.is_number_integer() && !(j.is_number_unsigned() && j.get<uint64_t>() > INT64_MAX);
        case Kind::float_:
        case Kind::double_:
            if (j.is_number_float()) return true;
            if (!loose) return false;
            if (j.is_number()) return true;
            return j.is_string() && (j == "NaN" || j == "Infinity" || j == "-Infinity");
        case Kind::string: return j.is_string();
        case Kind::enum_:
            return j.is_string() && std::find(symbols.begin(), symbols.end(), j.get_ref<const std::string&>()) !=
                                        symbols.end();
        case Kind::bytes:
        case Kind::fixed: return loose && (j.is_string() || (decimal && j.is_number()));
        case Kind::array: return j.is_array();
        case Kind::map: return j.is_object() && loose;
        case Kind::record: {
            if (!j.is_object()) return false;
            for (const auto& [k, _] : j.items())
                if (!has_field(k)) return false;
            for (size_t i = 0; i < fields.size(); ++i)
                if (!j.contains(fields[i]) && !children[i]->nullable()) return false;
            return true;
        }
        case Kind::union_: return false;
    }
    return false;
}

namespace {

const std::map<std::string, Kind, std::less<>>& primitives() {
    static const std::map<std::string, Kind, std::less<>> p = {
        {"null", Kind::null},    {"boolean", Kind::boolean}, {"int", Kind::int_},    {"long", Kind::long_},
        {"float", Kind::float_}, {"double", Kind::double_},  {"bytes", Kind::bytes}, {"string", Kind::string}};
    return p;
}

}  // namespace

bool is_primitive_avro_type(std::string_view name) { return primitives().contains(name); }

std::string avro_full_name(const std::string& name, const std::string& ns) {
    if (name.find('.') != std::string::npos || ns.empty()) return name;
    return ns + "." + name;
}

std::string avro_own_namespace(const nlohmann::ordered_json& def, const std::string& ns) {
    std::string own =
        def.contains("namespace") && def["namespace"].is_string() ? def["namespace"].get<std::string>() : ns;
    std::string full = avro_full_name(def.value("name", std::string()), own);
    if (auto dot = full.rfind('.'); dot != std::string::npos) return full.substr(0, dot);
    return own;
}

struct AvroTreeBuilder {
    AvroTree& tree;
    std::map<std::string, AvroNode*> named;

    AvroNode* add(Kind k, std::string label) {
        tree.nodes_.push_back({});
        AvroNode* n = &tree.nodes_.back();
        n->kind = k;
        n->label = std::move(label);
        return n;
    }

    Result<const AvroNode*> reference(const std::string& name, const std::string& ns) {
        if (auto it = named.find(avro_full_name(name, ns)); it != named.end()) return it->second;
        if (auto it = named.find(name); it != named.end()) return it->second;
        return fail(Exit::data, "unknown Avro type '{}'", name);
    }

    Result<const AvroNode*> build(const json& j, const std::string& ns) {
        if (j.is_string()) {
            const auto& name = j.get_ref<const std::string&>();
            if (auto p = primitives().find(name); p != primitives().end()) return add(p->second, name);
            return reference(name, ns);
        }
        if (j.is_array()) {
            AvroNode* u = add(Kind::union_, "union");
            for (const auto& branch : j) {
                auto b = build(branch, ns);
                if (!b) return b;
                u->children.push_back(*b);
            }
            return u;
        }
        if (!j.is_object() || !j.contains("type")) return fail(Exit::data, "not an Avro schema: {}", j.dump());
        const json& t = j["type"];
        if (!t.is_string()) return build(t, ns);
        const auto& type = t.get_ref<const std::string&>();
        bool decimal = j.value("logicalType", std::string()) == "decimal";
        if (type == "record" || type == "error" || type == "enum" || type == "fixed") {
            std::string name = j.value("name", std::string());
            if (name.empty()) return fail(Exit::data, "an Avro {} without a name", type);
            std::string own_ns = avro_own_namespace(j, ns);
            std::string full = avro_full_name(name, own_ns);
            AvroNode* n = add(type == "enum" ? Kind::enum_ : type == "fixed" ? Kind::fixed : Kind::record, full);
            named[full] = n;
            if (type == "enum") {
                for (const auto& s : j.value("symbols", json::array()))
                    if (s.is_string()) n->symbols.push_back(s.get<std::string>());
            } else if (type == "fixed") {
                n->decimal = decimal;
                n->scale = j.value("scale", 0);
            } else {
                if (!j.contains("fields") || !j["fields"].is_array())
                    return fail(Exit::data, "Avro record {} has no fields array", full);
                for (const auto& f : j["fields"]) {
                    if (!f.is_object() || !f.contains("name") || !f.contains("type"))
                        return fail(Exit::data, "a field of Avro record {} without a name or type", full);
                    auto c = build(f["type"], own_ns);
                    if (!c) return c;
                    n->fields.push_back(f["name"].get<std::string>());
                    n->children.push_back(*c);
                }
            }
            return n;
        }
        if (type == "array" || type == "map") {
            AvroNode* n = add(type == "array" ? Kind::array : Kind::map, type);
            auto c = build(j.value(type == "array" ? "items" : "values", json()), ns);
            if (!c) return c;
            n->children.push_back(*c);
            return n;
        }
        auto node = build(json(type), ns);
        if (!node || !decimal || (*node)->kind != Kind::bytes) return node;
        AvroNode* d = add(Kind::bytes, "bytes");
        d->decimal = true;
        d->scale = j.value("scale", 0);
        return d;
    }
};

Result<AvroTree> AvroTree::parse(std::string_view schema_json) {
    json j = json::parse(schema_json, nullptr, false);
    if (j.is_discarded()) return fail(Exit::data, "the Avro schema is not JSON");
    AvroTree tree;
    AvroTreeBuilder b{tree, {}};
    auto root = b.build(j, "");
    if (!root) return std::unexpected(root.error());
    tree.root_ = *root;
    return tree;
}

}  // namespace kpipe::registry
