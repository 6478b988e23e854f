#include "topic_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>

#include <fmt/ranges.h>

namespace kpipe {

using clock = std::chrono::steady_clock;

kafka::Properties producer_defaults() {
    return {
        {"acks", "all"},
        {"enable.idempotence", "true"},
        {"partitioner", "murmur2_random"},  // Java's default for keyed records
        {"queue.buffering.max.kbytes", "32768"},
        {"delivery.timeout.ms", "120000"},
    };
}

struct TopicWriter::Slot {
    Position pos;
    bool finished = false;
    bool delivered = true;  // else it could go again (failed, or stopped before it was sent)
};

// Plain records (no headers, no timestamp) gathered for Producer::produce_batch, their
// bytes copied: the source's buffers are reused for the next item.
class TopicWriter::Batch {
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
        std::string_view arena(arena_);
        for (const auto& s : slots_)
            views_.push_back({s.has_key ? std::optional(arena.substr(s.key_at, s.key_len)) : std::nullopt,
                              arena.substr(s.value_at, s.value_len), s.partition, s.tag});
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

// Failed records as envelope lines, ready for `kpipe produce --format envelope`.
class TopicWriter::FailedFile {
public:
    static Result<std::unique_ptr<FailedFile>> open(const std::string& path, const std::string& label) {
        std::unique_ptr<FailedFile> f(new FailedFile(label));
        f->file_ = std::fopen(path.c_str(), "wb");
        if (!f->file_) return fail(Exit::usage, "{}: {}", label, std::strerror(errno));
        return f;
    }
    ~FailedFile() {
        if (file_) std::fclose(file_);
    }
    void write(const RecordView& r) {
        buf_.clear();
        writer_.append(r, buf_);
        if (std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size() && !error_) error_ = errno;
    }
    Result<void> close() {
        if (std::fclose(std::exchange(file_, nullptr)) != 0 && !error_) error_ = errno;
        if (error_) return fail(Exit::runtime, "{}: write failed: {}", label_, std::strerror(error_));
        return {};
    }

private:
    explicit FailedFile(std::string label) : label_(std::move(label)) {}
    std::string label_;
    std::FILE* file_ = nullptr;
    EnvelopeWriter writer_;
    std::string buf_;
    int error_ = 0;
};

TopicWriter::TopicWriter(const Settings& s, TopicWriterOptions o, const Places& places)
    : settings_(s),
      opts_(std::move(o)),
      places_(places),
      batch_(std::make_unique<Batch>()),
      report_(places, [this](std::string_view l) { line(fmt::format("kpipe: {}\n", l)); }),
      style_{use_color(s, stderr)} {
    for (const auto& h : opts_.headers) fixed_headers_.push_back({h.name, h.value});
    show_progress_ = opts_.progress && !s.quiet && is_terminal(stderr);
}

TopicWriter::~TopicWriter() = default;

Result<std::unique_ptr<TopicWriter>> TopicWriter::open(const Settings& settings, TopicWriterOptions options,
                                                       const Places& places) {
    std::unique_ptr<TopicWriter> w(new TopicWriter(settings, std::move(options), places));
    const auto& o = w->opts_;
    kafka::Producer::Callbacks cb{[p = w.get()](uint64_t seq) { p->finished(seq); },
                                  [p = w.get()](const kafka::Delivery& d) { p->on_failed(d); }};
    auto producer = kafka::Producer::create(settings, producer_defaults(), o.properties, std::move(cb), o.cancel);
    if (!producer) return std::unexpected(producer.error());
    w->producer_.emplace(std::move(*producer));
    w->message_max_ = w->producer_->number_property("message.max.bytes", 1'000'000);
    if (!o.failed_path.empty()) {
        auto f = FailedFile::open(o.failed_path, o.failed_label);
        if (!f) return std::unexpected(f.error());
        w->failed_file_ = std::move(*f);
    }
    return w;
}

Result<void> TopicWriter::check_topic() {
    auto topic = producer_->topic_info(opts_.topic, std::min<Millis>(settings_.timeout, Millis(3000)));
    if (!topic) return std::unexpected(topic.error());
    partitions_ = static_cast<int32_t>(topic->partitions.size());
    if (opts_.partition && *opts_.partition >= partitions_)
        return fail(Exit::not_found, "partition {} of topic '{}' does not exist (it has {})", *opts_.partition,
                    opts_.topic, partitions_);
    return {};
}

uint64_t TopicWriter::track(const Position& p, bool finished_now) {
    ledger_.push_back({p, false});
    uint64_t seq = base_ + ledger_.size() - 1;
    if (finished_now) finished(seq);
    return seq;
}

void TopicWriter::finished(uint64_t seq, bool delivered) {
    ledger_[seq - base_].finished = true;
    ledger_[seq - base_].delivered = delivered;
    while (!ledger_.empty() && ledger_.front().finished) {
        if (ledger_.front().delivered) done(ledger_.front().pos);
        else not_delivered(ledger_.front().pos);
        ledger_.pop_front();
        ++base_;
    }
}

RecordView TopicWriter::target(const Item& item) {
    view_.topic = opts_.topic;
    view_.offset = -1;
    view_.timestamp = opts_.stamp_now ? -1 : item.record.timestamp;
    view_.timestamp_type = TimestampType::none;
    view_.key = item.record.key;
    view_.value = item.record.value;
    view_.headers.assign(item.record.headers.begin(), item.record.headers.end());
    view_.headers.insert(view_.headers.end(), fixed_headers_.begin(), fixed_headers_.end());
    int32_t p = item.record.partition;
    if (opts_.partition) p = *opts_.partition;
    else if (!opts_.keep_partition || p >= partitions_) p = -1;
    view_.partition = p;
    return view_;
}

Result<Writer::State> TopicWriter::write(const Item& item) {
    const RecordView& r = target(item);
    size_t size = (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
    // Large records go alone, so that one too large for message.max.bytes is told apart.
    if (r.headers.empty() && r.timestamp < 0 && r.value && size <= message_max_ / 2) {
        batch_->add(r.key, *r.value, r.partition, track(item.pos, false));
        if (batch_->full()) send_batch();
    } else {
        send_batch();  // keep the input order
        send(r, item.pos);
    }
    return stop_ ? State::refused : State::open;
}

void TopicWriter::skip(const Item& item) { track(item.pos, true); }

void TopicWriter::reject(const Item& item, std::string_view reason) {
    RecordView keep = item.record;
    keep.topic = opts_.topic;
    bad(item.pos, reason, item.record.value ? &keep : nullptr);
}

bool TopicWriter::send(const RecordView& r, const Position& pos) {
    uint64_t seq = track(pos, false);
    auto queued = producer_->produce(r, seq);
    if (queued) return true;
    return refused(seq, queued.error(), r);
}

bool TopicWriter::send_batch() {
    if (batch_->size() == 0) return true;
    auto records = batch_->records();
    bool go_on = true;
    for (const auto& [i, why] : producer_->produce_batch(opts_.topic, records)) {
        const auto& p = records[i];
        RecordView r{opts_.topic, p.partition, -1, -1, TimestampType::none, p.key, p.value, {}, nullptr, nullptr};
        go_on = refused(p.tag, why, r) && go_on;  // later records were queued already
    }
    batch_->clear();
    return go_on;
}

// A record the client did not queue (finished here); false when the run must stop.
bool TopicWriter::refused(uint64_t seq, const kafka::Rejection& why, const RecordView& r) {
    const Position pos = ledger_[seq - base_].pos;
    bool interrupted = why.fault == kafka::Fault::queue_full && opts_.cancel.requested();
    if (interrupted || why.fault == kafka::Fault::fatal) {
        ++failed_;
        report_.add(pos, interrupted ? "not sent: interrupted while waiting for room in the send queue"
                                     : "not sent: " + why.reason);
        if (failed_file_) failed_file_->write(r);
        fatal_ = fatal_ || why.fault == kafka::Fault::fatal;
        stop_ = true;
        finished(seq, false);
        return false;
    }
    std::string reason = why.reason;
    if (why.fault == kafka::Fault::too_large)
        reason = fmt::format("record of {} bytes is larger than message.max.bytes {}",
                             (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0), message_max_);
    ++failed_;
    ++bad_;
    bad(pos, "not sent: " + reason, &r);
    finished(seq);  // bad input: it can never go
    if (opts_.stop_on_bad) stop_ = true;
    return !opts_.stop_on_bad;
}

void TopicWriter::bad(const Position& pos, std::string_view reason, const RecordView* keep) {
    line(fmt::format("kpipe: {}: {}{}\n", places_.format(pos), reason, opts_.stop_on_bad ? opts_.stop_note : ""));
    if (keep && failed_file_) failed_file_->write(*keep);
}

std::string TopicWriter::delivery_reason(const kafka::Delivery& d) const {
    switch (d.fault) {
        case kafka::Fault::purged_queued: return "not delivered: stopped before it was sent";
        case kafka::Fault::purged_in_flight:
            return "not acknowledged: stopped while it was in flight (the broker may have written it)";
        default: break;
    }
    std::vector<std::string> notes;
    if (d.fault == kafka::Fault::timed_out) notes.push_back("after the delivery timeout");
    if (d.possibly_persisted) notes.push_back("the broker may have written it");
    if (d.fault == kafka::Fault::timed_out) {
        std::string last = producer_->client().last_error();
        if (last.starts_with("[thrd:")) last.erase(0, std::min(last.size(), last.find("]: ") + 3));
        if (!last.empty()) notes.push_back("last error: " + last);
    }
    std::string reason = fmt::format("not delivered: {}", d.reason);
    if (!notes.empty()) reason += fmt::format(" ({})", fmt::join(notes, "; "));
    return reason;
}

void TopicWriter::on_failed(const kafka::Delivery& d) {
    ++failed_;
    report_.add(ledger_[d.tag - base_].pos, delivery_reason(d));
    if (failed_file_) {
        RecordView r = d.record;
        r.offset = -1;
        failed_file_->write(r);
    }
    finished(d.tag, false);
}

Result<Writer::State> TopicWriter::flush(bool all) {
    send_batch();
    producer_->poll(0);
    if (all) producer_->flush(Millis(std::chrono::hours(24)), true);
    return stop_ ? State::refused : State::open;
}

void TopicWriter::wait(int ms) {
    send_batch();  // nothing waits in the batch while the pump waits
    producer_->poll(ms);
}

// Every second: the failures gathered since the last report.
void TopicWriter::tick() {
    auto now = clock::now();
    if (report_.pending() && now - last_report_ >= std::chrono::seconds(1)) {
        last_report_ = now;
        report_.print();
    }
    if (!producer_->client().usable()) stop_ = true;
}

void TopicWriter::line(std::string_view text) {
    if (show_progress_) std::fputs("\r\x1b[K", stderr);
    std::fwrite(text.data(), 1, text.size(), stderr);
}

void TopicWriter::show_progress(uint64_t read, std::string_view more) {
    if (!show_progress_) return;
    double secs = std::chrono::duration<double>(clock::now() - start_).count();
    uint64_t failed = failed_;
    fmt::print(stderr, "\r\x1b[K{}read{} {}  {}delivered{} {}  {}failed{} {}  {:.0f} records/s{}", style_.dim(),
               style_.reset(), read, style_.dim(), style_.reset(), delivered(), failed ? style_.red() : style_.dim(),
               style_.reset(), failed, secs > 0 ? static_cast<double>(delivered()) / secs : 0.0, more);
    std::fflush(stderr);
}

uint64_t TopicWriter::delivered() const { return producer_->delivered(); }

std::string TopicWriter::summary(std::string_view verb, uint64_t read, uint64_t bad) const {
    double secs = std::chrono::duration<double>(clock::now() - start_).count();
    uint64_t failed = failed_ + bad, bad_input = bad_ + bad;
    std::string b = bad_input ? fmt::format(" ({} bad input)", bad_input) : "";
    return fmt::format("{} {}: read {}, delivered {}, failed {}{}, {} bytes, {:.2f} s, {:.0f} records/s", verb,
                       opts_.topic, read, delivered(), failed, b, producer_->delivered_bytes(), secs,
                       secs > 0 ? static_cast<double>(delivered()) / secs : 0.0);
}

Writer::End TopicWriter::finish(bool interrupted) {
    send_batch();
    if (interrupted && !settings_.quiet)
        line(fmt::format("kpipe: interrupted: stopped reading; delivering what was read (up to {})\n",
                         format_duration(settings_.timeout)));
    if (!interrupted) {
        // Every queued record gets its outcome within delivery.timeout.ms.
        producer_->flush(Millis(std::chrono::hours(24)), true);
    }
    if (producer_->outstanding() > 0) {
        producer_->flush(settings_.timeout, false);
        producer_->purge(Millis(5000));
    }
    if (show_progress_) std::fputs("\r\x1b[K", stderr);
    show_progress_ = false;
    report_.finish(failed_file_ ? opts_.failed_path : "");
    End end;
    end.failed = failed_;
    end.fatal = producer_->client().usable();
    if (failed_file_) end.after = failed_file_->close();
    return end;
}

}  // namespace kpipe
