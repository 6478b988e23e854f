#include "line_source.hpp"

#include "timestamp.hpp"

namespace kpipe {

namespace {

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r") == std::string_view::npos; }

// Kafka has no timestamps before 1970, and librdkafka sends the current time for 0.
Result<int64_t> sendable_time(int64_t ms) {
    if (ms < 0) return fail(Exit::data, "{} is before 1970: Kafka timestamps cannot be negative", ms);
    if (ms == 0) return fail(Exit::data, "0 (1970-01-01T00:00:00Z) cannot be sent: Kafka clients take 0 as 'now'");
    return ms;
}

}  // namespace

LineSource::LineSource(LineOptions options, Places& places)
    : opts_(std::move(options)),
      places_(places),
      // Room for an envelope's base64; longer lines could never become a record.
      reader_(opts_.files, LineReader::default_buffer, 2 * opts_.max_record + (1 << 20), opts_.idle_ms,
              opts_.cancel) {
    for (size_t i = 0; i < reader_.sources(); ++i) {
        place_of_.push_back(places_.add(reader_.name(i)));
        auto r = opts_.resume.find(reader_.name(i));
        skip_to_.push_back(r == opts_.resume.end() ? 0 : r->second);
    }
}

Result<void> LineSource::open() { return reader_.open_all(); }

void LineSource::bad(Item& out, std::string reason, bool keep_line) {
    reason_ = std::move(reason);
    out.bad = reason_;
    out.record = {};
    if (keep_line) out.record.value = line_.bytes;
}

Result<Pull> LineSource::pull(Item& out, int wait_ms) {
    (void)wait_ms;  // the reader waits up to its idle time
    for (;;) {
        auto status = reader_.next(line_);
        if (!status) return std::unexpected(status.error());
        switch (*status) {
            case ReadStatus::end: return Pull::end;
            case ReadStatus::idle:
            case ReadStatus::interrupted: return Pull::idle;  // the pump asks the Cancel
            case ReadStatus::line: break;
        }
        if (line_.number <= skip_to_[line_.source]) continue;
        auto got = decode(line_, out);
        if (!got || *got != Pull::idle) return got;  // idle here: a blank line, read on
    }
}

Result<Pull> LineSource::decode(const Line& line, Item& out) {
    out.pos = {place_of_[line.source], -1, static_cast<int64_t>(line.number)};
    out.bad = {};
    out.envelope = {};
    if (line.too_long) {
        bad(out,
            fmt::format("line of {} bytes is longer than any record can be (message.max.bytes {}); too long to keep",
                        line.length, opts_.max_record),
            false);
        return Pull::item;
    }
    std::string_view bytes = line.bytes;
    if (opts_.format == LineFormat::text) {
        if (bytes.empty()) return Pull::idle;
        decode_text(bytes, out);
        return Pull::item;
    }
    if (!bytes.empty() && bytes.back() == '\r') bytes.remove_suffix(1);
    if (blank(bytes)) return Pull::idle;
    if (opts_.format == LineFormat::json) decode_json(bytes, out);
    else decode_envelope(bytes, out);
    return Pull::item;
}

void LineSource::decode_json(std::string_view bytes, Item& out) {
    simdjson::dom::element root;
    if (auto e = parse_json(parser_, pad_, bytes, root))
        return bad(out, fmt::format("not valid JSON: {}", simdjson::error_message(e)));
    RecordView& r = out.record;
    r = {};
    if (opts_.key) {
        if (auto k = opts_.key->text(root, key_scratch_)) r.key = *k;
    }
    if (opts_.timestamp) {
        if (auto t = opts_.timestamp->find(root); t && !t->is_null()) {
            int64_t ms = -1;
            std::string_view text;
            const std::string& field = opts_.timestamp->spelling();
            if (t->get_int64().get(ms) == simdjson::SUCCESS) {
                auto ok = sendable_time(ms);
                if (!ok) return bad(out, fmt::format("field {}: {}", field, ok.error().message));
                r.timestamp = ms;
            } else if (t->get_string().get(text) == simdjson::SUCCESS) {
                auto parsed = parse_time(text);
                if (parsed) parsed = sendable_time(*parsed);
                if (!parsed) return bad(out, fmt::format("field {}: {}", field, parsed.error().message));
                r.timestamp = *parsed;
            } else {
                return bad(out, fmt::format("field {}: expected epoch milliseconds or an ISO-8601 time, got {}", field,
                                            simdjson::minify(*t)));
            }
        }
    }
    r.value = bytes;
}

void LineSource::decode_envelope(std::string_view bytes, Item& out) {
    auto parsed = envelope_.parse(bytes);
    if (!parsed) return bad(out, parsed.error().message);
    envelope_record_ = std::move(*parsed);
    const Record& e = envelope_record_;
    if (e.timestamp >= 0) {
        if (auto ok = sendable_time(e.timestamp); !ok) return bad(out, "timestamp " + ok.error().message);
    }
    RecordView& r = out.record;
    r = {e.topic, e.partition, e.offset, e.timestamp, e.timestamp_type, e.key, e.value, {}};
    for (const auto& h : e.headers) r.headers.push_back({h.name, h.value});
}

void LineSource::decode_text(std::string_view bytes, Item& out) {
    RecordView& r = out.record;
    r = {};
    r.value = bytes;
    if (opts_.key_delim.empty()) return;
    if (auto at = bytes.find(opts_.key_delim); at != std::string_view::npos) {
        r.key = bytes.substr(0, at);
        r.value = bytes.substr(at + opts_.key_delim.size());
    }
}

}  // namespace kpipe
