// A producer over the librdkafka C API that accounts for every record: each one queued
// is either acknowledged or failed, and the caller's callbacks hear of each, by poll()
// and flush() on the caller's thread. Back-pressure: produce() waits while librdkafka's
// queue is full. Callers tag records (e.g. a sequence number) to match outcomes to what
// they sent. Delivery reports are served on the caller's thread, so
// librdkafka's messages are also freed there (freeing them on its broker thread instead,
// with delivery.report.only.error, measured slower: both threads then fight over malloc).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cancel.hpp"
#include "kafka/client.hpp"
#include "kafka/fault.hpp"
#include "record.hpp"

namespace kpipe::kafka {

// A record that was not delivered.
struct Delivery {
    uint64_t tag = 0;
    Fault fault = Fault::other;
    std::string_view reason;          // the broker's or client's reason
    bool possibly_persisted = false;  // the broker may have written it anyway (e.g. timed out in flight)
    // Borrowed from librdkafka for the duration of the callback: topic, partition (-1 when
    // none was chosen yet), timestamp, key, value, headers.
    RecordView record;
};

// Why produce() did not queue a record (no delivery outcome follows).
struct Rejection {
    Fault fault = Fault::other;
    std::string reason;
};

// A record for produce_batch(): no headers; its timestamp is the time of sending.
struct PlainRecord {
    std::optional<std::string_view> key;
    std::optional<std::string_view> value;
    int32_t partition = -1;
    uint64_t tag = 0;
};

class Producer {
public:
    struct Callbacks {
        std::function<void(uint64_t tag)> acked;       // the broker acknowledged the record
        std::function<void(const Delivery&)> failed;  // it was not delivered
    };

    // `defaults` sit under the user's settings and `forced` above them (see Client::create).
    // `cancel` stops waits for room in the queue.
    static Result<Producer> create(const Settings& settings, const Properties& defaults, const Properties& forced,
                                   Callbacks callbacks, Cancel cancel = {});

    Client& client() { return client_; }
    const Client& client() const { return client_; }

    // The topic's metadata. A missing topic is requested (the broker creates it when its
    // auto.create.topics.enable and the client's allow.auto.create.topics allow) and
    // waited for up to `creation_wait`; still missing: exit 5. Unreachable cluster: exit 4
    // within --timeout.
    Result<TopicInfo> topic_info(const std::string& name, Millis creation_wait);
    // A librdkafka property as the handle resolved it ("" when unknown).
    std::string property(const char* name) const;
    uint64_t number_property(const char* name, uint64_t fallback) const;

    // Queues a copy of the record (partition -1: the partitioner's choice; timestamp -1:
    // now). While the queue is full it serves delivery reports and waits, unless cancelled,
    // then it gives up with Fault::queue_full.
    std::expected<void, Rejection> produce(const RecordView& r, uint64_t tag);
    // Queues records to one topic, which costs librdkafka much less per record than
    // produce(): with the murmur2_random partitioner (Java's) and the partition count known
    // from topic_info(), kpipe partitions keyed records with librdkafka's own murmur2 and
    // queues each partition's share in one call (one lock, one wake-up, one clock reading);
    // records without a key share one partition per call (sticky, as librdkafka does).
    // Partitions added to the topic after topic_info() are not used. Otherwise (another
    // partitioner, count unknown) it falls back to produce() per record. Waits first, like produce(), for room
    // in the queue. Returns the records not queued (index, reason).
    const std::vector<std::pair<size_t, Rejection>>& produce_batch(std::string_view topic,
                                                                    std::span<const PlainRecord> records);

    // Serves delivery reports waiting up to `timeout_ms` for the first; returns how many.
    size_t poll(int timeout_ms);
    // Serves delivery reports until none is outstanding or `timeout` passes; with
    // `stop_on_cancel` also when cancelled. Linger does not apply meanwhile. Returns the
    // records still outstanding.
    uint64_t flush(Millis timeout, bool stop_on_cancel);
    // Abandons queued and in-flight records: each is reported failed
    // (RD_KAFKA_RESP_ERR__PURGE_QUEUE or __PURGE_INFLIGHT) within `timeout`.
    void purge(Millis timeout);

    uint64_t outstanding() const { return queued_ - delivered_ - failed_; }
    uint64_t delivered() const { return delivered_; }
    uint64_t delivered_bytes() const { return delivered_bytes_; }

    Producer(Producer&&) noexcept = default;
    Producer& operator=(Producer&&) noexcept = default;
    ~Producer();

private:
    Producer(Client client, Callbacks callbacks, Cancel cancel);
    struct Topic {
        std::string name;
        TopicPtr handle;
        int32_t partitions = 0;  // 0: not known
    };
    Topic& topic(std::string_view name);
    void report(const rd_kafka_message_t* m);

    Client client_;
    Callbacks callbacks_;
    Cancel cancel_;
    std::vector<Topic> topics_;
    QueuePtr main_;
    std::vector<std::vector<rd_kafka_message_t>> by_partition_;
    std::vector<std::vector<size_t>> index_of_;  // record index of each by_partition_ entry
    std::vector<std::pair<size_t, Rejection>> rejected_;
    uint64_t max_queued_;        // queue.buffering.max.messages
    uint64_t max_queued_bytes_;  // queue.buffering.max.kbytes, in bytes
    bool murmur2_;               // partitioner=murmur2_random
    uint64_t queued_ = 0;
    uint64_t queued_bytes_ = 0;
    uint64_t delivered_ = 0;
    uint64_t delivered_bytes_ = 0;
    uint64_t failed_ = 0;
    uint64_t failed_bytes_ = 0;
};

}  // namespace kpipe::kafka
