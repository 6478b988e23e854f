#include "envelope.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "codec.hpp"
#include "timestamp.hpp"

namespace kpipe {

namespace {

std::string_view padded(std::string& pad, std::string_view bytes) {
    if (pad.size() < bytes.size() + simdjson::SIMDJSON_PADDING) pad.resize(bytes.size() + simdjson::SIMDJSON_PADDING);
    std::memcpy(pad.data(), bytes.data(), bytes.size());
    return {pad.data(), bytes.size()};
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view type_name(TimestampType t) {
    switch (t) {
        case TimestampType::create: return "create";
        case TimestampType::log_append: return "log_append";
        case TimestampType::none: break;
    }
    return "none";
}

void append_int(std::string& out, int64_t v) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<size_t>(p - buf));
}

}  // namespace

void append_schema_tag(std::string& out, std::string_view name, const SchemaTag& t) {
    out += ",\"";
    out += name;
    out += "_schema\":{\"type\":";
    append_json_string(out, t.type);
    if (!t.subject.empty()) {
        out += ",\"subject\":";
        append_json_string(out, t.subject);
    }
    out += ",\"id\":";
    append_int(out, t.id);
    if (!t.message.empty()) {
        out += ",\"message\":";
        append_json_string(out, t.message);
    }
    out += '}';
}

simdjson::error_code parse_json(simdjson::dom::parser& parser, std::string& pad, std::string_view bytes,
                                simdjson::dom::element& out) {
    auto view = padded(pad, bytes);
    return parser.parse(view.data(), view.size(), false).get(out);
}

bool is_valid_json(simdjson::dom::parser& parser, std::string& pad, std::string_view bytes) {
    simdjson::dom::element e;
    return parse_json(parser, pad, bytes, e) == simdjson::SUCCESS;
}

EnvelopeWriter::EnvelopeWriter(EnvelopeOptions o) : opts_(o) {
    // A payload is embedded one level below the envelope object: embed only what the
    // reader can take back at its (default) depth limit; deeper payloads go as text.
    if (parser_.allocate(simdjson::dom::MINIMAL_DOCUMENT_CAPACITY, simdjson::DEFAULT_MAX_DEPTH - 1))
        throw std::bad_alloc();
}

Encoding EnvelopeWriter::classify(std::string_view bytes) {
    if (!bytes.empty() && !is_space(bytes.front()) && !is_space(bytes.back()) &&
        bytes.find('\n') == std::string_view::npos && bytes.find('\r') == std::string_view::npos &&
        bytes != "null" &&
        is_valid_json(parser_, pad_, bytes))
        return Encoding::json;
    return is_utf8(bytes) ? Encoding::text : Encoding::base64;
}

Encoding EnvelopeWriter::append_payload(std::string& out, std::string_view bytes) {
    Encoding e = classify(bytes);
    switch (e) {
        case Encoding::json: out += bytes; break;
        case Encoding::text: append_json_string(out, bytes); break;
        case Encoding::base64:
            out += '"';
            append_base64(out, bytes);
            out += '"';
            break;
    }
    return e;
}

void EnvelopeWriter::append(const RecordView& r, std::string& out) {
    out += "{\"topic\":";
    append_json_string(out, r.topic);
    out += ",\"partition\":";
    append_int(out, r.partition);
    out += ",\"offset\":";
    append_int(out, r.offset);
    out += ",\"timestamp\":";
    if (r.timestamp < 0) out += "null";
    else if (opts_.iso_time) append_json_string(out, format_iso_utc(r.timestamp));
    else append_int(out, r.timestamp);
    out += ",\"timestamp_type\":\"";
    out += type_name(r.timestamp_type);
    out += '"';
    auto field = [&](std::string_view name, const std::optional<std::string_view>& bytes, const SchemaTag* schema) {
        out += ",\"";
        out += name;
        out += "\":";
        if (!bytes) {
            out += "null";
            return;
        }
        // A decoder's JSON (Avro, Protobuf) is one compact line already; JSON Schema
        // payloads are the producer's bytes and go through the usual rules.
        Encoding e = schema && schema->type != "json" ? (out += *bytes, Encoding::json) : append_payload(out, *bytes);
        if (e != Encoding::json) {
            out += ",\"";
            out += name;
            out += e == Encoding::text ? "_encoding\":\"text\"" : "_encoding\":\"base64\"";
        }
        if (schema) append_schema_tag(out, name, *schema);
    };
    field("key", r.key, r.key_schema);
    field("value", r.value, r.value_schema);
    out += ",\"headers\":[";
    bool first = true;
    for (const auto& h : r.headers) {
        if (!first) out += ',';
        first = false;
        out += '[';
        append_json_string(out, h.name);  // header names are strings in Kafka
        out += ',';
        if (!h.value) {
            out += "null]";
        } else if (is_utf8(*h.value)) {
            append_json_string(out, *h.value);
            out += ']';
        } else {
            out += '"';
            append_base64(out, *h.value);
            out += "\",\"base64\"]";
        }
    }
    out += "]}\n";
}

namespace {

struct Payload {
    bool present = false;
    bool null = false;
    std::string_view raw;  // raw JSON of the field
    std::string_view encoding;
};

Result<std::string> decode_payload(std::string_view name, const Payload& p, simdjson::dom::parser& dom,
                                   std::string& pad) {
    auto bad = [&](std::string_view why) { return fail(Exit::data, "field '{}': {}", name, why); };
    if (p.encoding.empty()) return std::string(p.raw);  // the whole line was validated
    auto view = padded(pad, p.raw);
    std::string_view s;
    if (dom.parse(view.data(), view.size(), false).get_string().get(s) != simdjson::SUCCESS)
        return bad(fmt::format("expected a string with {}_encoding \"{}\"", name, p.encoding));
    if (p.encoding == "text") return std::string(s);
    if (p.encoding == "base64") {
        auto d = base64_decode(s);
        if (!d) return bad("invalid base64");
        return std::move(*d);
    }
    return bad(fmt::format("unknown {}_encoding \"{}\" (expected text or base64)", name, p.encoding));
}

// Raw JSON text of any value, consuming it.
simdjson::error_code raw_of(simdjson::ondemand::value v, std::string_view& raw) {
    simdjson::ondemand::json_type t;
    if (auto e = v.type().get(t)) return e;
    if (t == simdjson::ondemand::json_type::object) {
        simdjson::ondemand::object o;
        if (auto e = v.get_object().get(o)) return e;
        return o.raw_json().get(raw);
    }
    if (t == simdjson::ondemand::json_type::array) {
        simdjson::ondemand::array a;
        if (auto e = v.get_array().get(a)) return e;
        return a.raw_json().get(raw);
    }
    raw = v.raw_json_token();
    while (!raw.empty() && is_space(raw.back())) raw.remove_suffix(1);
    return simdjson::SUCCESS;
}

// {"type":"avro","subject":"s","id":3}: type and id required, subject optional.
Result<SchemaTag> read_schema_tag(simdjson::ondemand::value v) {
    using namespace simdjson;
    auto bad = [] {
        return fail(Exit::data, "expected {{\"type\": \"avro\"|\"protobuf\"|\"json\", \"subject\": ..., \"id\": N}}");
    };
    ondemand::object o;
    if (v.get_object().get(o)) return bad();
    SchemaTag t;
    for (auto f : o) {
        std::string_view k;
        if (f.unescaped_key().get(k)) return bad();
        ondemand::value fv = f.value();
        std::string_view s;
        if (k == "type") {
            if (fv.get_string().get(s) || (s != "avro" && s != "protobuf" && s != "json")) return bad();
            t.type = s;
        } else if (k == "subject") {
            if (fv.get_string().get(s)) return bad();
            t.subject = s;
        } else if (k == "message") {
            if (fv.get_string().get(s)) return bad();
            t.message = s;
        } else if (k == "id") {
            int64_t id = 0;
            if (fv.get_int64().get(id) || id < 0 || id > INT32_MAX) return bad();
            t.id = static_cast<int32_t>(id);
        } else {
            std::string_view ignored;
            if (raw_of(fv, ignored)) return bad();
        }
    }
    if (t.type.empty() || t.id < 0) return bad();
    return t;
}

}  // namespace

Result<Record> EnvelopeReader::parse(std::string_view line) {
    using namespace simdjson;
    auto invalid = [](error_code e) { return fail(Exit::data, "not a valid envelope: {}", error_message(e)); };
    // Full validation (syntax, UTF-8, trailing content) first; on-demand then only walks it.
    auto view = padded(pad_, line);
    {
        dom::element whole;
        if (auto e = dom_.parse(view.data(), view.size(), false).get(whole)) return invalid(e);
    }
    ondemand::document doc;
    if (auto e = ondemand_.iterate(view.data(), view.size(), pad_.size()).get(doc)) return invalid(e);
    ondemand::object obj;
    if (doc.get_object().get(obj)) return fail(Exit::data, "not a valid envelope: expected a JSON object");

    static constexpr std::string_view known[] = {"topic",        "partition",      "offset",     "timestamp",
                                                 "timestamp_type", "key",        "key_encoding", "value",
                                                 "value_encoding", "headers",    "key_schema",   "value_schema"};
    Record r;
    Payload key, value;
    unsigned seen = 0;
    for (auto field : obj) {
        if (auto e = field.error()) return invalid(e);
        std::string_view name;
        if (auto e = field.unescaped_key().get(name)) return invalid(e);
        std::string fname(name);
        auto slot = static_cast<size_t>(std::find(std::begin(known), std::end(known), fname) - std::begin(known));
        if (slot == std::size(known)) return fail(Exit::data, "unknown envelope field '{}'", fname);
        if (seen & (1u << slot)) return fail(Exit::data, "field '{}' appears twice", fname);
        seen |= 1u << slot;
        ondemand::value v = field.value();
        auto bad = [&](std::string_view why) { return fail(Exit::data, "field '{}': {}", fname, why); };
        if (fname == "key" || fname == "value") {
            Payload& p = fname == "key" ? key : value;
            p.present = true;
            bool is_null = false;
            if (auto e = v.is_null().get(is_null)) return invalid(e);
            if (is_null) {
                p.null = true;
                continue;
            }
            if (auto e = raw_of(v, p.raw)) return invalid(e);
        } else if (fname == "key_encoding" || fname == "value_encoding") {
            Payload& p = fname == "key_encoding" ? key : value;
            if (v.get_string().get(p.encoding) || p.encoding.empty()) return bad("expected \"text\" or \"base64\"");
            // The string lives in the parser's buffer until the next parse: fine for this call.
        } else if (fname == "key_schema" || fname == "value_schema") {
            bool is_null = false;
            if (auto e = v.is_null().get(is_null)) return invalid(e);
            if (is_null) continue;
            auto tag = read_schema_tag(v);
            if (!tag) return bad(tag.error().message);
            (fname == "key_schema" ? r.key_schema : r.value_schema) = std::move(*tag);
        } else if (fname == "partition") {
            bool is_null = false;
            if (auto e = v.is_null().get(is_null)) return invalid(e);
            if (is_null) continue;
            int64_t p = 0;
            if (v.get_int64().get(p) || p < -1 || p > INT32_MAX) return bad("expected a partition number");
            r.partition = static_cast<int32_t>(p);
        } else if (fname == "timestamp") {
            ondemand::json_type t;
            if (auto e = v.type().get(t)) return invalid(e);
            if (t == ondemand::json_type::null) continue;
            if (t == ondemand::json_type::number) {
                if (v.get_int64().get(r.timestamp) || r.timestamp < 0) return bad("expected epoch milliseconds");
            } else if (t == ondemand::json_type::string) {
                std::string_view s;
                if (v.get_string().get(s)) return bad("expected a string");
                auto ts = parse_time(s);
                if (!ts) return bad(ts.error().message);
                // Negative would read as "no timestamp" (-1) or pass unchecked: produce would send now.
                if (*ts < 0) return bad(fmt::format("{} is before 1970: Kafka timestamps cannot be negative", *ts));
                r.timestamp = *ts;
            } else {
                return bad("expected epoch milliseconds or an ISO-8601 string");
            }
        } else if (fname == "headers") {
            bool is_null = false;
            if (auto e = v.is_null().get(is_null)) return invalid(e);
            if (is_null) continue;
            ondemand::array headers;
            if (v.get_array().get(headers)) return bad("expected an array of [name, value] pairs");
            size_t index = 0;
            for (auto h_result : headers) {
                auto hbad = [&](std::string_view why) {
                    return fail(Exit::data, "field 'headers' item {}: {}", index, why);
                };
                ondemand::array pair;
                if (h_result.get_array().get(pair)) return hbad("expected [name, value]");
                std::vector<ondemand::value> items;
                Header h;
                std::string_view hv, henc;
                bool hnull = false;
                size_t n = 0;
                for (auto item : pair) {
                    ondemand::value iv;
                    if (auto e = item.get(iv)) return invalid(e);
                    if (n == 0) {
                        std::string_view hn;
                        if (iv.get_string().get(hn)) return hbad("header name must be a string");
                        h.name = hn;
                    } else if (n == 1) {
                        if (auto e = iv.is_null().get(hnull)) return invalid(e);
                        if (!hnull && iv.get_string().get(hv)) return hbad("header value must be a string or null");
                        if (!hnull) h.value = std::string(hv);
                    } else if (n == 2) {
                        if (iv.get_string().get(henc)) return hbad("header encoding must be a string");
                        if (henc != "base64" && henc != "text") return hbad("header encoding must be \"base64\" or \"text\"");
                    } else {
                        return hbad("expected [name, value] or [name, value, encoding]");
                    }
                    ++n;
                }
                if (n < 2) return hbad("expected [name, value]");
                if (henc == "base64" && h.value) {
                    auto d = base64_decode(*h.value);
                    if (!d) return hbad("invalid base64");
                    h.value = std::move(*d);
                }
                r.headers.push_back(std::move(h));
                ++index;
            }
        } else {  // topic, offset, timestamp_type: informational on input
            std::string_view ignored;
            (void)raw_of(v, ignored);
        }
    }
    if (!value.present) return fail(Exit::data, "not a valid envelope: field 'value' is missing");
    // The encodings point into the on-demand parser's buffer, which decoding (dom_) leaves alone.
    if (key.present && !key.null) {
        auto k = decode_payload("key", key, dom_, pad2_);
        if (!k) return std::unexpected(k.error());
        r.key = std::move(*k);
    }
    if (!value.null) {
        auto v = decode_payload("value", value, dom_, pad2_);
        if (!v) return std::unexpected(v.error());
        r.value = std::move(*v);
    }
    return r;
}

}  // namespace kpipe
