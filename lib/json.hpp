// JSON validation that accepts every valid number. JSON sets no limit on numbers, but
// simdjson's DOM holds each one as an int64, a uint64 or a double and refuses the rest
// (99999999999999999999, 1e400) as a number error. The DOM parse stays the fast path;
// only when it reports a number error is the text walked again on demand, checking every
// number against JSON's grammar without converting it.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <simdjson.h>

namespace kpipe {

class JsonDocument {
public:
    explicit JsonDocument(size_t max_depth = simdjson::DEFAULT_MAX_DEPTH);

    // SUCCESS when `bytes` is one complete, valid JSON value (white space around it allowed).
    simdjson::error_code parse(std::string_view bytes);
    bool valid(std::string_view bytes) { return parse(bytes) == simdjson::SUCCESS; }

    // After a successful parse, until the next one: the DOM root, or nullopt when the value
    // holds a number the DOM cannot; then read it with `iterate`.
    const std::optional<simdjson::dom::element>& dom() const { return root_; }
    // The value last parsed, on demand from its start.
    simdjson::error_code iterate(simdjson::ondemand::document& doc);
    // Its text.
    std::string_view text() const { return {pad_.data(), size_}; }

private:
    simdjson::dom::parser dom_;
    simdjson::ondemand::parser ondemand_;
    std::string pad_;
    size_t size_ = 0;
    size_t max_depth_;
    std::optional<simdjson::dom::element> root_;
};

// `bytes` copied into `pad` with simdjson's padding after it; the view is of the copy.
std::string_view padded(std::string& pad, std::string_view bytes);

// simdjson's DOM alone, for callers that need a DOM element and have their own way out
// for a document it cannot hold: a number beyond it is NUMBER_ERROR here.
simdjson::error_code parse_json(simdjson::dom::parser& parser, std::string& pad, std::string_view bytes,
                                simdjson::dom::element& out);

// `s` without JSON white space (space, tab, CR, LF) around it.
std::string_view trim_json_space(std::string_view s);

// JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?, any magnitude.
bool is_json_number(std::string_view text);

// The raw JSON text of any value (objects and arrays whole), consuming it.
simdjson::error_code raw_json_of(simdjson::ondemand::value v, std::string_view& raw);

}  // namespace kpipe
