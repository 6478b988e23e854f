// kpipe produce: JSON events (or envelopes, or text lines) from files or stdin into a
// topic, with the truth about every record: delivered, or reported with its input
// position and the reason (and written to --failed, ready to re-send).
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <span>

#include <fmt/ranges.h>

#include "command.hpp"
#include "envelope.hpp"
#include "field_path.hpp"
#include "input.hpp"
#include "kafka/producer.hpp"
#include "signals.hpp"
#include "terminal.hpp"
#include "timestamp.hpp"

namespace kpipe::cli {
namespace {

using clock = std::chrono::steady_clock;

enum class InputFormat { json, envelope, text };
enum class OnError { fail, skip };

struct ProduceOptions {
    std::string topic;
    std::vector<std::string> files;
    InputFormat format = InputFormat::json;
    std::string key_path;
    std::string timestamp_path;
    std::string key_delim;
    std::vector<std::string> headers;
    int32_t partition = -1;
    bool ignore_partition = false;
    OnError on_error = OnError::fail;
    std::string failed_path;
    bool progress = false;
    std::string compression;
    std::string linger;
    int64_t batch_size = 0;
    std::string delivery_timeout;
    double rate = 0;
};

// Input positions travel with each record as its delivery tag.
constexpr int line_bits = 40;
uint64_t tag_of(const Line& l) { return (static_cast<uint64_t>(l.source) << line_bits) | l.number; }
size_t source_of(uint64_t tag) { return static_cast<size_t>(tag >> line_bits); }
uint64_t line_of(uint64_t tag) { return tag & ((uint64_t{1} << line_bits) - 1); }

Millis duration_flag(std::string_view flag, const std::string& text) {
    auto d = parse_duration(text);
    if (!d) throw Failure{{Exit::usage, fmt::format("{}: {}", flag, d.error().message)}};
    return *d;
}

// Delivery failures, printed in batches as merged line ranges per reason, so that a
// broker outage reports "file:1001-1500: reason (500 records)" rather than 500 lines.
class FailureLog {
public:
    void add(uint64_t tag, std::string_view reason) {
        auto it = std::find(reasons_.begin(), reasons_.end(), reason);
        if (it == reasons_.end()) it = reasons_.insert(reasons_.end(), std::string(reason));
        pending_.push_back({tag, static_cast<uint32_t>(it - reasons_.begin())});
    }
    bool empty() const { return pending_.empty(); }
    void print(const LineReader& in) {
        std::sort(pending_.begin(), pending_.end());
        for (size_t i = 0; i < pending_.size();) {
            size_t j = i + 1;
            while (j < pending_.size() && pending_[j].tag == pending_[j - 1].tag + 1 &&
                   pending_[j].reason == pending_[i].reason)
                ++j;
            uint64_t first = pending_[i].tag, last = pending_[j - 1].tag;
            const std::string& name = in.name(source_of(first));
            if (j - i == 1)
                fmt::print(stderr, "kpipe: {}:{}: {}\n", name, line_of(first), reasons_[pending_[i].reason]);
            else
                fmt::print(stderr, "kpipe: {}:{}-{}: {} ({} records)\n", name, line_of(first), line_of(last),
                           reasons_[pending_[i].reason], j - i);
            i = j;
        }
        pending_.clear();
    }

private:
    struct Entry {
        uint64_t tag;
        uint32_t reason;
        auto operator<=>(const Entry&) const = default;
    };
    std::vector<Entry> pending_;
    std::vector<std::string> reasons_;
};

// --failed FILE: envelope lines that `kpipe produce --format envelope` re-sends.
class FailedSink {
public:
    FailedSink() = default;
    explicit FailedSink(const std::string& path) : path_(path) {
        if (path.empty()) return;
        file_.reset(std::fopen(path.c_str(), "wb"));
        if (!file_)
            throw Failure{{Exit::usage, fmt::format("--failed {}: {}", path, std::strerror(errno))}};
    }
    void write(const RecordView& r) {
        if (!file_) return;
        buf_.clear();
        writer_.append(r, buf_);
        if (std::fwrite(buf_.data(), 1, buf_.size(), file_.get()) != buf_.size()) error_ = errno;
    }
    // Closes the file; an error names it.
    std::optional<Error> close() {
        if (!file_) return std::nullopt;
        if (std::fclose(file_.release()) != 0 && !error_) error_ = errno;
        if (error_) return Error{Exit::runtime, fmt::format("--failed {}: write failed: {}", path_, std::strerror(error_))};
        return std::nullopt;
    }

private:
    struct Closer {
        void operator()(std::FILE* f) const noexcept { std::fclose(f); }
    };
    std::string path_;
    std::unique_ptr<std::FILE, Closer> file_;
    EnvelopeWriter writer_;
    std::string buf_;
    int error_ = 0;
};

// Plain records (no headers, no timestamp) gathered for Producer::produce_batch, their
// bytes copied: the line reader's buffer and the JSON parser's strings are reused.
class Batch {
public:
    static constexpr size_t capacity = 256;
    void add(std::optional<std::string_view> key, std::string_view value, int32_t partition, uint64_t tag) {
        Slot s{arena_.size(), key ? key->size() : 0, key.has_value(), 0, value.size(), partition, tag};
        if (key) arena_ += *key;
        s.value_at = arena_.size();
        arena_ += value;
        slots_.push_back(s);
    }
    size_t size() const { return slots_.size(); }
    bool full() const { return slots_.size() >= capacity; }
    std::span<const kafka::PlainRecord> records() {
        views_.clear();
        for (const auto& s : slots_) {
            std::string_view arena(arena_);
            views_.push_back({s.has_key ? std::optional(arena.substr(s.key_at, s.key_len)) : std::nullopt,
                              arena.substr(s.value_at, s.value_len), s.partition, s.tag});
        }
        return views_;
    }
    void clear() {
        arena_.clear();
        slots_.clear();
        views_.clear();
    }

private:
    struct Slot {
        size_t key_at, key_len;
        bool has_key;
        size_t value_at, value_len;
        int32_t partition;
        uint64_t tag;
    };
    std::string arena_;
    std::vector<Slot> slots_;
    std::vector<kafka::PlainRecord> views_;
};

kafka::Properties producer_defaults() {
    return {
        {"acks", "all"},
        {"enable.idempotence", "true"},
        {"partitioner", "murmur2_random"},  // Java's default for keyed records
        {"queue.buffering.max.kbytes", "32768"},
        {"delivery.timeout.ms", "120000"},
    };
}

kafka::Properties producer_flags(const ProduceOptions& o) {
    kafka::Properties p;
    if (!o.compression.empty()) p["compression.type"] = o.compression;
    if (!o.linger.empty()) p["linger.ms"] = std::to_string(duration_flag("--linger", o.linger).count());
    if (o.batch_size > 0) p["batch.size"] = std::to_string(o.batch_size);
    if (!o.delivery_timeout.empty())
        p["delivery.timeout.ms"] = std::to_string(duration_flag("--delivery-timeout", o.delivery_timeout).count());
    return p;
}

std::vector<Header> parse_headers(const std::vector<std::string>& specs) {
    std::vector<Header> out;
    for (const auto& h : specs) {
        auto eq = h.find('=');
        if (eq == std::string::npos || eq == 0)
            throw Failure{{Exit::usage, fmt::format("-H {}: expected name=value", h)}};
        out.push_back({h.substr(0, eq), h.substr(eq + 1)});
    }
    return out;
}

void check_combinations(const ProduceOptions& o) {
    auto usage = [](std::string msg) { throw Failure{{Exit::usage, std::move(msg)}}; };
    if (o.format != InputFormat::json && (!o.key_path.empty() || !o.timestamp_path.empty()))
        usage("--key and --timestamp read fields of JSON events: they need --format json");
    if (o.format != InputFormat::text && !o.key_delim.empty()) usage("--key-delim needs --format text");
    if (o.format != InputFormat::envelope && o.ignore_partition) usage("--ignore-partition needs --format envelope");
}

bool blank(std::string_view s) {
    return s.find_first_not_of(" \t\r") == std::string_view::npos;
}

class ProduceRun {
public:
    ProduceRun(const Settings& s, const ProduceOptions& o)
        : settings_(s),
          opts_(o),
          fixed_headers_(parse_headers(o.headers)),
          producer_(value_or_throw(kafka::Producer::create(s, producer_defaults(), producer_flags(o),
                                                           [this](const kafka::Delivery& d) { on_failure(d); }))),
          message_max_(producer_.number_property("message.max.bytes", 1'000'000)),
          // Room for an envelope's base64; longer lines could never become a record.
          reader_(o.files, LineReader::default_buffer, 2 * message_max_ + (1 << 20), 1000),
          failed_(o.failed_path),
          style_{use_color(s, stderr)} {
        if (!o.key_path.empty()) key_path_ = value_or_throw(FieldPath::parse(o.key_path));
        if (!o.timestamp_path.empty()) ts_path_ = value_or_throw(FieldPath::parse(o.timestamp_path));
        for (const auto& h : fixed_headers_) fixed_views_.push_back({h.name, h.value});
        show_progress_ = o.progress && !s.quiet && is_terminal(stderr);
    }
    ProduceRun(const ProduceRun&) = delete;
    ProduceRun& operator=(const ProduceRun&) = delete;

    Exit run();

private:
    void check_topic();
    bool handle(const Line& line);
    bool handle_json(const Line& line, std::string_view bytes);
    bool handle_envelope(const Line& line, std::string_view bytes);
    bool handle_text(const Line& line, std::string_view bytes);
    bool send(const Line& line, const RecordView& r);
    bool send_plain(const Line& line);
    void send_batch();
    bool rejected(uint64_t tag, const kafka::Rejection& why, const RecordView& r);
    bool bad_line(const Line& line, std::string_view reason, const RecordView* record = nullptr);
    bool bad_record(uint64_t tag, std::string_view reason, const RecordView* record);
    void on_failure(const kafka::Delivery& d);
    std::string failure_reason(const kafka::Delivery& d) const;
    void pace();
    void tick();
    void finish_delivery();
    void summary() const;
    std::string where(uint64_t tag) const { return fmt::format("{}:{}", reader_.name(source_of(tag)), line_of(tag)); }

    const Settings& settings_;
    const ProduceOptions& opts_;
    std::vector<Header> fixed_headers_;
    std::vector<HeaderView> fixed_views_;
    std::optional<FieldPath> key_path_;
    std::optional<FieldPath> ts_path_;
    kafka::Producer producer_;
    uint64_t message_max_;  // message.max.bytes
    LineReader reader_;
    FailedSink failed_;
    FailureLog failures_;
    Style style_;
    bool show_progress_ = false;

    simdjson::dom::parser parser_;
    std::string pad_;
    std::string key_scratch_;
    EnvelopeReader envelope_;
    RecordView view_;
    Batch batch_;
    bool stop_reading_ = false;

    uint64_t read_ = 0;
    uint64_t failed_count_ = 0;  // bad lines, records not queued, failed deliveries
    uint64_t bad_ = 0;
    bool interrupted_ = false;
    clock::time_point start_ = clock::now();
    clock::time_point last_tick_ = start_;
    clock::time_point last_failures_ = start_;
};

void ProduceRun::check_topic() {
    auto topic = value_or_throw(producer_.topic_info(opts_.topic, std::min<Millis>(settings_.timeout, Millis(3000))));
    if (opts_.partition >= static_cast<int32_t>(topic.partitions.size()))
        throw Failure{{Exit::not_found, fmt::format("partition {} of topic '{}' does not exist (it has {})",
                                                    opts_.partition, opts_.topic, topic.partitions.size())}};
}

Exit ProduceRun::run() {
    ok_or_throw(reader_.open_all());
    check_topic();
    view_.topic = opts_.topic;

    std::optional<Error> read_error;
    Line line;
    uint64_t since_poll = 0;
    for (;;) {
        auto status = reader_.next(line);
        if (!status) {
            read_error = status.error();
            break;
        }
        if (*status == ReadStatus::end) break;
        if (*status == ReadStatus::interrupted) {
            interrupted_ = true;
            break;
        }
        if (*status == ReadStatus::idle) {
            send_batch();
            producer_.poll(0);
            tick();
            continue;
        }
        if (!handle(line)) break;
        if (opts_.rate > 0) pace();
        if (batch_.full()) send_batch();
        if (stop_reading_) break;
        if (++since_poll >= 256) {
            since_poll = 0;
            producer_.poll(0);
            tick();
            if (producer_.client().fatal_error()) break;
        }
    }
    send_batch();
    if (SignalGuard::interrupted()) interrupted_ = true;
    if (interrupted_ && !settings_.quiet)
        fmt::print(stderr, "{}kpipe: interrupted: stopped reading; delivering what was read (up to {})\n",
                   show_progress_ ? "\r\x1b[K" : "", format_duration(settings_.timeout));
    finish_delivery();
    if (show_progress_) fmt::print(stderr, "\r\x1b[K");
    if (!failures_.empty()) failures_.print(reader_);
    auto fatal = producer_.client().fatal_error();
    if (fatal) fmt::print(stderr, "kpipe: {}\n", fatal->message);
    if (read_error) fmt::print(stderr, "kpipe: {}\n", read_error->message);
    auto sink_error = failed_.close();
    if (sink_error) fmt::print(stderr, "kpipe: {}\n", sink_error->message);
    summary();
    if (interrupted_) return Exit::interrupted;
    if (fatal) return fatal->code;
    if (read_error) return read_error->code;
    if (failed_count_ > 0) return Exit::data;
    if (sink_error) return sink_error->code;
    return Exit::ok;
}

void ProduceRun::finish_delivery() {
    if (!interrupted_) {
        // Every queued record gets its outcome within delivery.timeout.ms.
        producer_.flush(Millis(std::chrono::hours(24)), true);
        if (SignalGuard::interrupted()) interrupted_ = true;
    }
    if (producer_.outstanding() > 0) {
        producer_.flush(settings_.timeout, false);
        producer_.purge(Millis(5000));
    }
}

bool ProduceRun::handle(const Line& line) {
    if (line.too_long) {
        ++read_;
        return bad_line(line, fmt::format("line of {} bytes is longer than any record can be (message.max.bytes "
                                          "{}); not written to --failed",
                                          line.length, message_max_));
    }
    std::string_view bytes = line.bytes;
    if (opts_.format == InputFormat::text) {
        if (bytes.empty()) return true;
        ++read_;
        return handle_text(line, bytes);
    }
    if (!bytes.empty() && bytes.back() == '\r') bytes.remove_suffix(1);
    if (blank(bytes)) return true;
    ++read_;
    return opts_.format == InputFormat::json ? handle_json(line, bytes) : handle_envelope(line, bytes);
}

bool ProduceRun::handle_json(const Line& line, std::string_view bytes) {
    simdjson::dom::element root;
    if (auto e = parse_json(parser_, pad_, bytes, root))
        return bad_line(line, fmt::format("not valid JSON: {}", simdjson::error_message(e)));
    view_.key.reset();
    view_.timestamp = -1;
    if (key_path_) {
        auto k = key_path_->text(root, key_scratch_);
        if (k) view_.key = *k;
    }
    if (ts_path_) {
        if (auto t = ts_path_->find(root); t && !t->is_null()) {
            int64_t ms = -1;
            std::string_view text;
            if (t->get_int64().get(ms) == simdjson::SUCCESS && ms >= 0) {
                view_.timestamp = ms;
            } else if (t->get_string().get(text) == simdjson::SUCCESS) {
                auto parsed = parse_time(text);
                if (!parsed)
                    return bad_line(line, fmt::format("field {}: {}", ts_path_->spelling(), parsed.error().message));
                view_.timestamp = *parsed;
            } else {
                return bad_line(line, fmt::format("field {}: expected epoch milliseconds or an ISO-8601 time, got {}",
                                                  ts_path_->spelling(), simdjson::minify(*t)));
            }
        }
    }
    view_.value = bytes;
    view_.partition = opts_.partition;
    view_.headers = fixed_views_;
    return view_.timestamp < 0 ? send_plain(line) : send(line, view_);
}

bool ProduceRun::handle_envelope(const Line& line, std::string_view bytes) {
    auto parsed = envelope_.parse(bytes);
    if (!parsed) return bad_line(line, parsed.error().message);
    Record& r = *parsed;
    r.topic = opts_.topic;
    if (opts_.partition >= 0 || opts_.ignore_partition) r.partition = opts_.partition;
    r.headers.insert(r.headers.end(), fixed_headers_.begin(), fixed_headers_.end());
    RecordView v{r.topic, r.partition, -1, r.timestamp, TimestampType::none, r.key, r.value, {}};
    for (const auto& h : r.headers) v.headers.push_back({h.name, h.value});
    return send(line, v);
}

bool ProduceRun::handle_text(const Line& line, std::string_view bytes) {
    view_.key.reset();
    view_.value = bytes;
    if (!opts_.key_delim.empty()) {
        if (auto at = bytes.find(opts_.key_delim); at != std::string_view::npos) {
            view_.key = bytes.substr(0, at);
            view_.value = bytes.substr(at + opts_.key_delim.size());
        }
    }
    view_.timestamp = -1;
    view_.partition = opts_.partition;
    view_.headers = fixed_views_;
    return send_plain(line);
}

// view_ without headers or timestamp: batched while it is small enough.
bool ProduceRun::send_plain(const Line& line) {
    // Large records go alone, so that one too large for message.max.bytes is told apart.
    size_t size = (view_.key ? view_.key->size() : 0) + view_.value->size();
    if (!fixed_views_.empty() || size > message_max_ / 2) return send(line, view_);
    batch_.add(view_.key, *view_.value, view_.partition, tag_of(line));
    return true;
}

void ProduceRun::send_batch() {
    if (batch_.size() == 0) return;
    auto records = batch_.records();
    for (const auto& [i, why] : producer_.produce_batch(opts_.topic, records)) {
        const auto& p = records[i];
        RecordView r{opts_.topic, p.partition, -1, -1, TimestampType::none, p.key, p.value, {}};
        if (!rejected(p.tag, why, r)) stop_reading_ = true;  // records after it were queued already
    }
    batch_.clear();
}

bool ProduceRun::send(const Line& line, const RecordView& r) {
    send_batch();  // keep the input order
    auto why = producer_.produce(r, tag_of(line));
    return !why || rejected(tag_of(line), *why, r);
}

// A record librdkafka did not queue; false when reading must stop.
bool ProduceRun::rejected(uint64_t tag, const kafka::Rejection& why, const RecordView& r) {
    bool interrupted = why.err == RD_KAFKA_RESP_ERR__QUEUE_FULL && SignalGuard::interrupted();
    if (interrupted || why.err == RD_KAFKA_RESP_ERR__FATAL) {
        interrupted_ = interrupted_ || interrupted;
        ++failed_count_;
        failures_.add(tag, interrupted ? "not sent: interrupted while waiting for room in the send queue"
                                       : "not sent: " + why.reason);
        failed_.write(r);
        return false;
    }
    std::string reason = why.reason;
    if (why.err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
        reason = fmt::format("record of {} bytes is larger than message.max.bytes {}",
                             (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0), message_max_);
    return bad_record(tag, "not sent: " + reason, &r);
}

// A line that did not make a record; kept in --failed as it was (unless too long to hold).
bool ProduceRun::bad_line(const Line& line, std::string_view reason, const RecordView* record) {
    if (line.too_long || record) return bad_record(tag_of(line), reason, record);
    RecordView raw;
    raw.topic = opts_.topic;
    raw.value = line.bytes;
    return bad_record(tag_of(line), reason, &raw);
}

bool ProduceRun::bad_record(uint64_t tag, std::string_view reason, const RecordView* record) {
    ++bad_;
    ++failed_count_;
    bool go_on = opts_.on_error == OnError::skip;
    fmt::print(stderr, "{}kpipe: {}: {}{}\n", show_progress_ ? "\r\x1b[K" : "", where(tag), reason,
               go_on ? "" : "; stopped reading (--on-error skip reads on)");
    if (record) failed_.write(*record);
    return go_on;
}

std::string ProduceRun::failure_reason(const kafka::Delivery& d) const {
    switch (d.err) {
        case RD_KAFKA_RESP_ERR__PURGE_QUEUE: return "not delivered: stopped before it was sent";
        case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
            return "not acknowledged: stopped while it was in flight (the broker may have written it)";
        default: break;
    }
    std::vector<std::string> notes;
    if (d.err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT) notes.push_back("after the delivery timeout");
    if (d.possibly_persisted) notes.push_back("the broker may have written it");
    if (d.err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT) {
        std::string last = producer_.client().last_error();
        if (last.starts_with("[thrd:")) last.erase(0, std::min(last.size(), last.find("]: ") + 3));
        if (!last.empty()) notes.push_back("last error: " + last);
    }
    std::string reason = fmt::format("not delivered: {}", d.reason);
    if (!notes.empty()) reason += fmt::format(" ({})", fmt::join(notes, "; "));
    return reason;
}

void ProduceRun::on_failure(const kafka::Delivery& d) {
    ++failed_count_;
    failures_.add(d.tag, failure_reason(d));
    RecordView r = d.record;
    r.offset = -1;
    failed_.write(r);
}

void ProduceRun::pace() {
    auto due = start_ + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(
                            static_cast<double>(read_) / opts_.rate));
    if (clock::now() >= due) return;
    send_batch();  // no record waits for the pace
    while (!SignalGuard::interrupted()) {
        auto left = std::chrono::duration_cast<Millis>(due - clock::now()).count();
        if (left <= 0) break;
        producer_.poll(static_cast<int>(std::min<long long>(left, 100)));
        tick();
    }
}

// Every 250 ms: the progress line; every second: the failures gathered since the last.
void ProduceRun::tick() {
    auto now = clock::now();
    if (now - last_tick_ < std::chrono::milliseconds(250)) return;
    last_tick_ = now;
    if (!failures_.empty() && now - last_failures_ >= std::chrono::seconds(1)) {
        last_failures_ = now;
        if (show_progress_) fmt::print(stderr, "\r\x1b[K");
        failures_.print(reader_);
    }
    if (show_progress_) {
        double secs = std::chrono::duration<double>(now - start_).count();
        fmt::print(stderr, "\r\x1b[K{}read{} {}  {}delivered{} {}  {}failed{} {}  {:.0f} records/s", style_.dim(),
                   style_.reset(), read_, style_.dim(), style_.reset(), producer_.delivered(),
                   failed_count_ ? style_.red() : style_.dim(), style_.reset(), failed_count_,
                   secs > 0 ? static_cast<double>(producer_.delivered()) / secs : 0.0);
        std::fflush(stderr);
    }
}

void ProduceRun::summary() const {
    if (settings_.quiet) return;
    double secs = std::chrono::duration<double>(clock::now() - start_).count();
    std::string bad = bad_ ? fmt::format(" ({} bad input)", bad_) : "";
    uint64_t delivered = producer_.delivered();
    fmt::print(stderr, "produce {}: read {}, delivered {}, failed {}{}, {} bytes, {:.2f} s, {:.0f} records/s\n",
               opts_.topic, read_, delivered, failed_count_, bad, producer_.delivered_bytes(), secs,
               secs > 0 ? static_cast<double>(delivered) / secs : 0.0);
}

Exit run_produce(const Settings& s, const ProduceOptions& o) {
    check_combinations(o);
    SignalGuard guard;
    ProduceRun run(s, o);
    return run.run();
}

}  // namespace

void register_produce(CLI::App& app, Commands& out) {
    auto o = std::make_shared<ProduceOptions>();
    auto* cmd = app.add_subcommand("produce", "Send JSON events (or envelopes, or text lines) from files or stdin to a topic");
    cmd->footer(
        "Every record is accounted for: exit 0 only when all were acknowledged (acks=all, idempotent).\n"
        "Failures are reported as FILE:LINE: reason ('<stdin>' for standard input); exit 3.\n"
        "Examples:\n"
        "  kpipe produce clickstream events.jsonl --key .userid\n"
        "  echo '{\"userid\":\"user123\",\"page\":\"/product123\",\"action\":\"view\"}' | kpipe produce clickstream\n"
        "  kpipe consume t | kpipe produce t2 --format envelope");
    cmd->add_option("topic", o->topic, "Topic to send to")->required();
    cmd->add_option("file", o->files, "Input files, read in order; '-' or none: stdin")->type_name("FILE");

    std::map<std::string, InputFormat> formats{
        {"json", InputFormat::json}, {"envelope", InputFormat::envelope}, {"text", InputFormat::text}};
    cmd->add_option_function<std::string>(
           "--format", [o, formats](const std::string& v) { o->format = formats.at(v); },
                    "Input lines: json (one JSON value per line, sent as is; blank lines skipped), envelope (as "
                    "'kpipe consume' writes them: key, value, headers, timestamp, partition), text (each "
                    "non-empty line's bytes)")
        ->check(CLI::IsMember({"json", "envelope", "text"}))
        ->type_name("FORMAT")
        ->default_str("json");
    cmd->add_option("-k,--key", o->key_path,
                    "Key from this field of each JSON event, e.g. .userid, .user.id, .items[0].id (strings as "
                    "text, other values as compact JSON; a missing or null field gives a null key). Same key, "
                    "same partition, as Java clients choose it")
        ->type_name("PATH");
    cmd->add_option("--timestamp", o->timestamp_path,
                    "Record timestamp from this field: epoch milliseconds or ISO-8601 (missing or null: now)")
        ->type_name("PATH");
    cmd->add_option("--key-delim", o->key_delim, "With --format text: split each line at the first STR into key and value")
        ->type_name("STR");
    cmd->add_option("-H,--header", o->headers, "Add header name=value to every record (repeatable)")
        ->type_name("NAME=VALUE");
    cmd->add_option("-p,--partition", o->partition, "Send every record to this partition")
        ->check(CLI::NonNegativeNumber)
        ->type_name("N");
    cmd->add_flag("--ignore-partition", o->ignore_partition,
                  "With --format envelope: let the partitioner choose instead of the envelope's partition");
    cmd->add_option_function<std::string>(
           "--on-error", [o](const std::string& v) { o->on_error = v == "skip" ? OnError::skip : OnError::fail; },
                    "Bad input line (not JSON, not an envelope, not UTF-8, too large): fail = report it, stop "
                    "reading, deliver what came before; skip = report it and go on. Both exit 3")
        ->check(CLI::IsMember({"fail", "skip"}))
        ->type_name("WHAT")
        ->default_str("fail");
    cmd->add_option("--failed", o->failed_path,
                    "Write every record not delivered (and every bad line) to FILE as envelope lines, ready for "
                    "'kpipe produce TOPIC --format envelope FILE'")
        ->type_name("FILE");
    cmd->add_flag("--progress", o->progress, "Show a live counter on stderr when it is a terminal");

    const char* t = "Throughput";
    cmd->add_option("-z,--compression", o->compression, "Compression codec (default none)")
        ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}))
        ->type_name("CODEC")
        ->group(t);
    cmd->add_option("--linger", o->linger, "How long to wait to fill a batch, e.g. 5ms, 100ms (linger.ms; default 5ms)")
        ->type_name("DURATION")
        ->group(t);
    cmd->add_option("--batch-size", o->batch_size, "Largest batch in bytes (batch.size; default 1000000)")
        ->check(CLI::PositiveNumber)
        ->type_name("BYTES")
        ->group(t);
    cmd->add_option("--delivery-timeout", o->delivery_timeout,
                    "How long a record is retried before it counts as failed, e.g. 30s, 2m (default 2m)")
        ->type_name("DURATION")
        ->group(t);
    cmd->add_option("--rate", o->rate, "Send at most N records per second")
        ->check(CLI::PositiveNumber)
        ->type_name("N")
        ->group(t);
    out.push_back({cmd, [o](const Settings& s) { return run_produce(s, *o); }});
}

}  // namespace kpipe::cli
