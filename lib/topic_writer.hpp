// The Writer into a topic: the delivery tracker. It queues records on an idempotent
// acks=all producer, knows the position of every record in flight, and accounts for each:
// acknowledged (then done for the source), or failed with a reason (reported by position
// range, kept in the failed-records file as an envelope line, ready to be sent again).
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cancel.hpp"
#include "envelope.hpp"
#include "failure_report.hpp"
#include "kafka/producer.hpp"
#include "pipeline.hpp"
#include "terminal.hpp"

namespace kpipe {

struct TopicWriterOptions {
    std::string topic;
    std::optional<int32_t> partition;  // every record to this partition
    bool keep_partition = true;        // else the item's partition is ignored (the partitioner chooses)
    bool stamp_now = false;            // send records without their timestamp: the time of sending
    std::vector<Header> headers;       // added to every record
    kafka::Properties properties;      // over kpipe's producer defaults (compression, linger...)
    std::string failed_path;           // keep failed records here as envelope lines; "" none
    std::string failed_label;          // names that file in errors, e.g. "--failed out.jsonl"
    std::string stop_note;             // added to a bad-record report when the run stops there
    bool stop_on_bad = true;           // a record the client refuses (e.g. too large) stops the run
    bool progress = false;             // a live counter on stderr (a terminal)
    Cancel cancel;
};

// The producer properties kpipe sets under the user's: acks=all, idempotence, Java's
// murmur2 partitioner for keyed records, a 32 MB queue, a 2 minute delivery timeout.
kafka::Properties producer_defaults();

class TopicWriter : public Writer {
public:
    // The producer (not connected yet) and the failed-records file.
    static Result<std::unique_ptr<TopicWriter>> open(const Settings& settings, TopicWriterOptions options,
                                                     const Places& places);
    // Connects and checks the topic and the fixed partition: exit 4 unreachable, 5 missing.
    Result<void> check_topic();
    ~TopicWriter() override;

    // The largest record the client sends (message.max.bytes).
    uint64_t max_record() const { return message_max_; }

    Result<State> write(const Item& item) override;
    void skip(const Item& item) override;
    void reject(const Item& item, std::string_view reason) override;
    Result<State> flush(bool all) override;
    void wait(int ms) override;
    void tick() override;
    End finish(bool interrupted) override;

    // The target topic's partitions (known after check_topic()).
    int32_t partitions() const { return partitions_; }
    // The live counter (when options.progress and stderr is a terminal), with `more` after it.
    void show_progress(uint64_t read, std::string_view more = {});
    // "produce T: read N, delivered N, failed N (N bad input), N bytes, N s, N records/s"
    std::string summary(std::string_view verb, uint64_t read, uint64_t bad) const;
    uint64_t delivered() const;
    uint64_t failed() const { return failed_; }

private:
    struct Slot;
    class Batch;
    class FailedFile;
    TopicWriter(const Settings& s, TopicWriterOptions o, const Places& places);
    uint64_t track(const Position& p, bool finished);
    void finished(uint64_t seq, bool delivered = true);
    RecordView target(const Item& item);
    bool send(const RecordView& r, const Position& pos);
    bool send_batch();
    bool refused(uint64_t seq, const kafka::Rejection& why, const RecordView& r);
    void bad(const Position& pos, std::string_view reason, const RecordView* keep);
    void on_failed(const kafka::Delivery& d);
    std::string delivery_reason(const kafka::Delivery& d) const;
    void line(std::string_view text);

    const Settings& settings_;
    TopicWriterOptions opts_;
    const Places& places_;
    std::optional<kafka::Producer> producer_;
    uint64_t message_max_ = 1'000'000;
    int32_t partitions_ = 0;
    std::vector<HeaderView> fixed_headers_;
    std::unique_ptr<Batch> batch_;
    std::unique_ptr<FailedFile> failed_file_;
    FailureReport report_;
    Style style_;
    bool show_progress_ = false;
    bool stop_ = false;    // a refusal that ends the run
    bool fatal_ = false;
    uint64_t failed_ = 0;  // records refused or not delivered
    uint64_t bad_ = 0;     // of those, refused as bad (too large)
    RecordView view_;
    // Every record in flight, by sequence number: its position and whether it is finished.
    std::deque<Slot> ledger_;
    uint64_t base_ = 1;  // sequence number of ledger_.front()
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_report_ = start_;
};

}  // namespace kpipe
