// A producer over the librdkafka C API that accounts for every record: each one queued
// gets exactly one delivery outcome (acknowledged, or failed with the reason), served by
// poll() and flush() on the caller's thread. Back-pressure: produce() waits while
// librdkafka's queue is full. Callers tag records (e.g. an input position) to match
// outcomes to what they sent.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/client.hpp"
#include "record.hpp"

namespace kpipe::kafka {

struct Delivery {
    uint64_t tag = 0;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string_view reason;          // the broker's or client's reason; empty when ok
    bool possibly_persisted = false;  // failed, yet the broker may have written it (e.g. timed out in flight)
    // Borrowed from librdkafka for the duration of the callback: topic, partition, offset
    // (when acknowledged), timestamp, key, value; headers only for failed records.
    RecordView record;
    bool ok() const { return err == RD_KAFKA_RESP_ERR_NO_ERROR; }
};

// Why produce() did not queue a record (no delivery outcome follows).
struct Rejection {
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    std::string reason;
};

class Producer {
public:
    using OnDelivery = std::function<void(const Delivery&)>;

    // `defaults` sit under the user's settings and `forced` above them (see Client::create).
    static Result<Producer> create(const Settings& settings, const Properties& defaults, const Properties& forced,
                                   OnDelivery on_delivery);

    Client& client() { return client_; }
    const Client& client() const { return client_; }

    // The topic's metadata. A missing topic is requested (the broker creates it when its
    // auto.create.topics.enable and the client's allow.auto.create.topics allow) and
    // waited for up to `creation_wait`; still missing: exit 5. Unreachable cluster: exit 4
    // within --timeout.
    Result<TopicInfo> topic_info(const std::string& name, Millis creation_wait);
    // A librdkafka property as the handle resolved it ("" when unknown).
    std::string property(const char* name) const;

    // Queues a copy of the record (partition -1: the partitioner's choice; timestamp -1:
    // now). While the queue is full it serves delivery reports and waits, unless a signal
    // arrived (SignalGuard), then it gives up with RD_KAFKA_RESP_ERR__QUEUE_FULL.
    std::optional<Rejection> produce(const RecordView& r, uint64_t tag);
    std::optional<Rejection> produce(const Record& r, uint64_t tag);

    // Serves delivery reports waiting up to `timeout_ms` for the first; returns how many.
    size_t poll(int timeout_ms);
    // Serves delivery reports until none is outstanding or `timeout` passes; with
    // `stop_on_signal` also when a signal arrives. Returns the records still outstanding.
    uint64_t flush(Millis timeout, bool stop_on_signal);
    // Abandons queued and in-flight records: each gets its failed delivery outcome
    // (RD_KAFKA_RESP_ERR__PURGE_QUEUE or __PURGE_INFLIGHT) within `timeout`.
    void purge(Millis timeout);

    uint64_t outstanding() const { return queued_ - reported_; }

    Producer(Producer&&) noexcept = default;
    Producer& operator=(Producer&&) noexcept = default;
    ~Producer();

private:
    Producer(Client client, OnDelivery on_delivery);
    rd_kafka_topic_t* topic(std::string_view name);
    void report(const rd_kafka_message_t* m);

    Client client_;
    OnDelivery on_delivery_;
    std::vector<std::pair<std::string, TopicPtr>> topics_;
    QueuePtr main_;
    std::vector<rd_kafka_vu_t> vus_;
    std::vector<HeaderView> scratch_headers_;
    uint64_t queued_ = 0;
    uint64_t reported_ = 0;
};

}  // namespace kpipe::kafka
