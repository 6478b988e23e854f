#include "envelope.hpp"

#include <algorithm>
#include <charconv>

#include "codec.hpp"
#include "timestamp.hpp"

namespace kpipe {

namespace {

std::string_view type_name(TimestampType t) {
    switch (t) {
        case TimestampType::create: return "create";
        case TimestampType::log_append: return "log_append";
        case TimestampType::none: break;
    }
    return "none";
}

std::optional<TimestampType> timestamp_type_of(std::string_view name) {
    for (auto t : {TimestampType::create, TimestampType::log_append, TimestampType::none})
        if (type_name(t) == name) return t;
    return std::nullopt;
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

EnvelopeWriter::EnvelopeWriter(EnvelopeOptions o) : opts_(o) {}

Encoding EnvelopeWriter::classify(std::string_view bytes) {
    if (!bytes.empty() && trim_json_space(bytes).size() == bytes.size() &&
        bytes.find('\n') == std::string_view::npos && bytes.find('\r') == std::string_view::npos &&
        bytes != "null" && json_.valid(bytes))
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
    auto field = [&](std::string_view name, const std::optional<std::string_view>& bytes, const SchemaTag* schema,
                     bool binary) {
        out += ",\"";
        out += name;
        out += "\":";
        if (!bytes) {
            out += "null";
            return;
        }
        // A decoder's JSON (Avro, Protobuf) is one compact line already; JSON Schema
        // payloads are the producer's bytes and go through the usual rules.
        Encoding e = Encoding::base64;
        if (schema && schema->type != "json") {
            out += *bytes;
            e = Encoding::json;
        } else if (binary) {
            out += '"';
            append_base64(out, *bytes);
            out += '"';
        } else {
            e = append_payload(out, *bytes);
        }
        if (e != Encoding::json) {
            out += ",\"";
            out += name;
            out += e == Encoding::text ? "_encoding\":\"text\"" : "_encoding\":\"base64\"";
        }
        if (schema) append_schema_tag(out, name, *schema);
    };
    field("key", r.key, r.key_schema, r.key_binary);
    field("value", r.value, r.value_schema, r.value_binary);
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
            if (raw_json_of(fv, ignored)) return bad();
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
    if (auto e = line_.parse(line)) return invalid(e);
    ondemand::document doc;
    if (auto e = line_.iterate(doc)) return invalid(e);
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
        ondemand::json_type type;
        if (auto e = v.type().get(type)) return invalid(e);
        const bool is_null = type == ondemand::json_type::null;
        auto bad = [&](std::string_view why) { return fail(Exit::data, "field '{}': {}", fname, why); };
        if (fname == "key" || fname == "value") {
            Payload& p = fname == "key" ? key : value;
            p.present = true;
            if (is_null) {
                p.null = true;
                continue;
            }
            if (auto e = raw_json_of(v, p.raw)) return invalid(e);
        } else if (fname == "key_encoding" || fname == "value_encoding") {
            Payload& p = fname == "key_encoding" ? key : value;
            if (v.get_string().get(p.encoding) || p.encoding.empty()) return bad("expected \"text\" or \"base64\"");
            // The string lives in the parser's buffer until the next parse: fine for this call.
        } else if (fname == "key_schema" || fname == "value_schema") {
            if (is_null) continue;
            auto tag = read_schema_tag(v);
            if (!tag) return bad(tag.error().message);
            (fname == "key_schema" ? r.key_schema : r.value_schema) = std::move(*tag);
        } else if (fname == "partition") {
            if (is_null) continue;
            int64_t p = 0;
            if (v.get_int64().get(p) || p < -1 || p > INT32_MAX) return bad("expected a partition number (-1 or more) or null");
            r.partition = static_cast<int32_t>(p);
        } else if (fname == "timestamp") {
            if (is_null) continue;
            if (type == ondemand::json_type::number) {
                if (v.get_int64().get(r.timestamp) || r.timestamp < 0) return bad("expected epoch milliseconds");
            } else if (type == ondemand::json_type::string) {
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
        } else if (is_null) {  // topic, offset, timestamp_type: informational on input, null allowed
            continue;
        } else if (fname == "topic") {
            std::string_view s;
            if (v.get_string().get(s)) return bad("expected the topic name (a string) or null");
            r.topic = s;
        } else if (fname == "offset") {
            if (v.get_int64().get(r.offset) || r.offset < -1) return bad("expected an offset (a whole number, -1 or more) or null");
        } else {
            std::string_view s;
            auto t = v.get_string().get(s) ? std::nullopt : timestamp_type_of(s);
            if (!t) return bad("expected \"create\", \"log_append\", \"none\" or null");
            r.timestamp_type = *t;
        }
    }
    if (!value.present) return fail(Exit::data, "not a valid envelope: field 'value' is missing");
    // The encodings point into the on-demand parser's buffer, which decoding (dom_) leaves alone.
    if (key.present && !key.null) {
        auto k = decode_payload("key", key, dom_, pad_);
        if (!k) return std::unexpected(k.error());
        r.key = std::move(*k);
    }
    if (!value.null) {
        auto v = decode_payload("value", value, dom_, pad_);
        if (!v) return std::unexpected(v.error());
        r.value = std::move(*v);
    }
    return r;
}

}  // namespace kpipe
