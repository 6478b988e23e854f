#include "registry/avro_references.hpp"

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "registry/avro_tree.hpp"

namespace kpipe::registry {

namespace {

using json = nlohmann::ordered_json;

constexpr int max_depth = 64;

class Inliner {
public:
    explicit Inliner(const SchemaLookup& lookup) : lookup_(lookup) {}

    // Fetches every reference of `s`, theirs first, keyed by the referenced type's name.
    Result<void> fetch(const Schema& s, const std::string& what, int depth) {
        if (depth > max_depth) return fail(Exit::data, "{}: references nested too deep", what);
        for (const auto& r : s.references) {
            if (defs_.contains(r.name)) continue;
            std::string version = r.version < 0 ? "latest" : std::to_string(r.version);
            auto ref = lookup_(r.subject, version);
            if (!ref)
                return fail(ref.error().code, "{}: its reference {} (subject {}, version {}): {}", what, r.name,
                            r.subject, version, ref.error().message);
            if (ref->type != "avro")
                return fail(Exit::data, "{}: its reference {} (subject {}) is a {} schema, not Avro", what, r.name,
                            r.subject, ref->type);
            std::string about = fmt::format("reference {} (subject {})", r.name, r.subject);
            if (auto f = fetch(*ref, about, depth + 1); !f) return f;
            json def = json::parse(ref->text, nullptr, false);
            if (def.is_discarded()) return fail(Exit::data, "{}: not JSON", about);
            defs_.emplace(r.name, std::move(def));
        }
        return {};
    }

    // Puts each referenced definition in place of its first use, in document order
    // (Avro wants a name defined before it is used), then walks into it.
    Result<void> place(json& node, const std::string& ns, int depth) {
        if (depth > max_depth) return fail(Exit::data, "the Avro schema is nested too deep");
        if (node.is_string()) {
            const std::string name = node.get<std::string>();
            if (is_primitive_avro_type(name)) return {};
            for (const std::string& full : {avro_full_name(name, ns), name}) {
                auto it = defs_.find(full);
                if (it == defs_.end() || placed_.contains(full)) continue;
                placed_.insert(full);
                node = it->second;
                // Keep the definition's own full name wherever it lands.
                std::string def_full = avro_full_name(node.value("name", std::string()), avro_own_namespace(node, ""));
                if (def_full.find('.') != std::string::npos) {
                    node["name"] = def_full;
                    node.erase("namespace");
                }
                return place(node, ns, depth + 1);
            }
            return {};
        }
        if (node.is_array()) {
            for (auto& branch : node)
                if (auto r = place(branch, ns, depth + 1); !r) return r;
            return {};
        }
        if (!node.is_object() || !node.contains("type")) return {};
        json& t = node["type"];
        if (!t.is_string()) return place(t, ns, depth + 1);
        const std::string type = t.get<std::string>();
        if (type == "record" || type == "error") {
            std::string own = avro_own_namespace(node, ns);
            if (node.contains("fields") && node["fields"].is_array())
                for (auto& f : node["fields"])
                    if (f.is_object() && f.contains("type"))
                        if (auto r = place(f["type"], own, depth + 1); !r) return r;
            return {};
        }
        if (type == "array" && node.contains("items")) return place(node["items"], ns, depth + 1);
        if (type == "map" && node.contains("values")) return place(node["values"], ns, depth + 1);
        if (type == "enum" || type == "fixed" || is_primitive_avro_type(type)) return {};
        return place(t, ns, depth + 1);  // {"type": "com.acme.Address"}
    }

private:
    const SchemaLookup& lookup_;
    std::map<std::string, json> defs_;
    std::set<std::string> placed_;
};

}  // namespace

Result<std::string> inline_avro_references(const Schema& s, const SchemaLookup& lookup) {
    if (s.references.empty()) return s.text;
    std::string what = fmt::format("schema id {}", s.id);
    if (!lookup) return fail(Exit::data, "{} references other subjects, and no registry is at hand", what);
    json root = json::parse(s.text, nullptr, false);
    if (root.is_discarded()) return fail(Exit::data, "{}: the Avro schema is not JSON", what);
    Inliner in(lookup);
    if (auto f = in.fetch(s, what, 0); !f) return std::unexpected(f.error());
    if (auto p = in.place(root, "", 0); !p) return std::unexpected(p.error());
    return root.dump();
}

}  // namespace kpipe::registry
