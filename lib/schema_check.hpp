// --schema FILE: a step that checks each event (a record's value, or produce's line)
// against a JSON Schema (draft 7) with the valijson library. An event that does not fit
// is an error naming where and why: "/rating: expected a number of at most 5 (got 7)".
#pragma once
#include <memory>
#include <string>

#include "pipeline.hpp"

namespace kpipe {

class SchemaCheck : public Step {
public:
    // An unreadable or invalid schema is a usage error naming the file.
    static Result<std::unique_ptr<SchemaCheck>> load(const std::string& path);
    // The same for a schema's text; `label` names it in errors ("schema LABEL: ...").
    static Result<std::unique_ptr<SchemaCheck>> parse(const std::string& text, const std::string& label);
    Result<bool> apply(Item& item) override;
    // Whether one JSON document fits: Exit::data naming where and why when not.
    Result<void> check(std::string_view json);
    ~SchemaCheck() override;

    struct Impl;

private:
    explicit SchemaCheck(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace kpipe
