// The JSON line envelope: one record per line, written by consume, read by produce
// --format envelope. Lossless: key/value/header bytes, null versus empty, header order
// and duplicates, timestamp, partition.
//
//   {"topic":"t","partition":0,"offset":7,"timestamp":1764000000123,"timestamp_type":"create",
//    "key":"u1","key_encoding":"text","value":{"page":"/p1"},"headers":[["source","web"]]}
//
// key/value: embedded as JSON when the bytes are one line of valid JSON with no
// surrounding white space (no *_encoding field); otherwise a JSON string with
// "key_encoding"/"value_encoding" set to "text" (valid UTF-8) or "base64"; null is a
// null record field. The four bytes `null` are written as text so they never read
// back as a null field. Headers: [name, text] or [name, base64, "base64"] or [name, null].
#pragma once
#include <string>
#include <string_view>

#include <simdjson.h>

#include "error.hpp"
#include "json.hpp"
#include "record.hpp"

namespace kpipe {

enum class Encoding { json, text, base64 };

struct EnvelopeOptions {
    bool iso_time = false;  // "timestamp":"2025-11-24T16:00:00.123Z" (produce reads it back)
};

class EnvelopeWriter {
public:
    explicit EnvelopeWriter(EnvelopeOptions o = {});
    // Appends one envelope line, '\n' included.
    void append(const RecordView& r, std::string& out);
    // How `bytes` would be written.
    Encoding classify(std::string_view bytes);
    // Appends the payload in the form `classify` chose; returns that form.
    Encoding append_payload(std::string& out, std::string_view bytes);

private:
    EnvelopeOptions opts_;
    // A payload is embedded one level below the envelope object: embed only what the
    // reader can take back at its (default) depth limit; deeper payloads go as text.
    JsonDocument json_{simdjson::DEFAULT_MAX_DEPTH - 1};
};

class EnvelopeReader {
public:
    // Parses one envelope line (without its newline). Errors name the field, exit code 3.
    Result<Record> parse(std::string_view line);

private:
    JsonDocument line_;           // the whole line, validated, then walked on demand
    simdjson::dom::parser dom_;   // decodes *_encoding strings; leaves line_'s buffers alone
    std::string pad_;
};

// Appends ,"NAME_schema":{"type":...,"subject":...,"id":...}.
void append_schema_tag(std::string& out, std::string_view name, const SchemaTag& t);

}  // namespace kpipe
