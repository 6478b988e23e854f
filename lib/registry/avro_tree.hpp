// What kpipe needs to know of an Avro schema beyond what libavro keeps: where the
// decimals are (logical types), the names of union branches, record field names and
// enum symbols for choosing a union branch for a plain JSON value. Made from the
// schema's JSON; named types may be used before they are complete (recursion).
#pragma once
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "error.hpp"

namespace kpipe::registry {

struct AvroNode {
    enum class Kind { null, boolean, int_, long_, float_, double_, bytes, string, record, enum_, array, map, fixed, union_ };
    Kind kind = Kind::null;
    std::string label;  // the type's name: "int", "com.example.Click", "array", "map", "union"
    bool decimal = false;
    int scale = 0;
    std::vector<const AvroNode*> children;  // record fields, union branches, array items, map values
    std::vector<std::string> fields;        // record field names
    std::vector<std::string> symbols;       // enum symbols

    bool has_field(std::string_view name) const;
    bool nullable() const;  // null, or a union with a null branch
    // Whether a plain JSON value is of this type: strictly of its own kind, or (loose) one
    // it can take (a number for a double or decimal, a string for bytes).
    bool accepts(const nlohmann::ordered_json& j, bool loose) const;
};

// Whether `name` is one of Avro's primitive types ("int", "string", ...).
bool is_primitive_avro_type(std::string_view name);
// The full name of Avro type `name` used or defined in namespace `ns` ("Click" in
// "com.acme" is "com.acme.Click"; a dotted name is full already).
std::string avro_full_name(const std::string& name, const std::string& ns);
// The namespace a named type's definition `def` (record, enum, fixed) opens inside `ns`.
std::string avro_own_namespace(const nlohmann::ordered_json& def, const std::string& ns);

class AvroTree {
public:
    // An error (Exit::data) names what is wrong in the schema.
    static Result<AvroTree> parse(std::string_view schema_json);
    const AvroNode* root() const { return root_; }

private:
    std::deque<AvroNode> nodes_;
    const AvroNode* root_ = nullptr;
    friend struct AvroTreeBuilder;
};

}  // namespace kpipe::registry
