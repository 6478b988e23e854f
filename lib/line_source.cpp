#include "line_source.hpp"

#include <sys/stat.h>

#include "event_fields.hpp"

namespace kpipe {

namespace {

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r") == std::string_view::npos; }

// Empties a record view, keeping its headers' storage.
void reset(RecordView& r) {
    r.topic = {};
    r.partition = -1;
    r.offset = -1;
    r.timestamp = -1;
    r.timestamp_type = TimestampType::none;
    r.key.reset();
    r.value.reset();
    r.headers.clear();
    r.key_schema = r.value_schema = nullptr;
    r.key_binary = r.value_binary = false;
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

Result<void> LineSource::open() {
    auto opened = reader_.open_all();
    for (size_t i = 0; i < reader_.sources() && opened; ++i) {
        struct stat st {};
        const std::string& path = opts_.files.empty() ? "-" : opts_.files[i];
        if (path == "-" || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
            total_bytes_ = 0;
            break;
        }
        total_bytes_ += static_cast<uint64_t>(st.st_size);
    }
    return opened;
}

std::optional<double> LineSource::progress() const {
    if (total_bytes_ == 0) return std::nullopt;
    return std::min(1.0, static_cast<double>(consumed_) / static_cast<double>(total_bytes_));
}

void LineSource::bad(Item& out, std::string reason, bool keep_line) {
    reason_ = std::move(reason);
    out.bad = reason_;
    reset(out.record);
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
        consumed_ += line_.length + 1;
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
    if (opts_.format == LineFormat::envelope) {
        decode_envelope(bytes, out);
    } else {
        reset(out.record);
        out.record.value = bytes;
    }
    return Pull::item;
}

void LineSource::decode_envelope(std::string_view bytes, Item& out) {
    auto parsed = envelope_.parse(bytes);
    if (!parsed) return bad(out, parsed.error().message);
    envelope_record_ = std::move(*parsed);
    const Record& e = envelope_record_;
    if (e.timestamp >= 0) {
        if (auto ok = sendable_time(e.timestamp); !ok) return bad(out, "timestamp " + ok.error().message);
    }
    out.record = view_of(e);
}

void LineSource::decode_text(std::string_view bytes, Item& out) {
    RecordView& r = out.record;
    reset(r);
    r.value = bytes;
    if (opts_.key_delim.empty()) return;
    if (auto at = bytes.find(opts_.key_delim); at != std::string_view::npos) {
        r.key = bytes.substr(0, at);
        r.value = bytes.substr(at + opts_.key_delim.size());
    }
}

}  // namespace kpipe
