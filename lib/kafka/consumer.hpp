// A Kafka consumer over the librdkafka C API, in assign mode (kpipe picks partitions and
// offsets, no group) or group mode (subscribe; offsets stored by the caller only for
// records it has written, committed on revoke and on close).
//
// Rebalances arrive as events from poll(), not as callbacks: the caller writes out and
// stores what it has before calling release(), and picks start offsets before accept().
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/admin.hpp"
#include "kafka/client.hpp"
#include "kafka/fault.hpp"
#include "record.hpp"

namespace kpipe::kafka {

struct ConsumerOptions {
    std::optional<std::string> group;  // nullopt: assign mode, nothing is committed
    bool commit = true;                // group mode: commit stored offsets
    Properties defaults;               // under the user's settings (e.g. prefetch caps)
};

struct StartAt {
    TopicPartition tp;
    std::optional<int64_t> offset;  // nullopt: the group's committed offset
};

struct Polled {
    enum class Kind { none, record, end_of_partition, assigned, revoked, committed, error };
    Kind kind = Kind::none;
    RecordView record;                   // Kind::record; valid until the next poll()
    TopicPartition tp;                   // record, end_of_partition, error (when partition-level)
    int64_t offset = -1;                 // end_of_partition: the offset reached
    std::vector<TopicPartition> partitions;  // assigned / revoked / committed
    std::vector<int64_t> offsets;            // committed: the offsets now committed (-1: none)
    bool lost = false;                       // revoked: the group took them away (session expired)
    Fault fault = Fault::none;               // error (also committed, when the commit failed)
    bool fatal = false;
    std::string message;  // error
};

class Consumer {
public:
    static Result<Consumer> create(const Settings& settings, const ConsumerOptions& options);

    Result<void> assign(const std::vector<StartAt>& starts);     // assign mode
    Result<void> subscribe(const std::vector<std::string>& topics);  // group mode; "^regex" allowed
    // After Polled::assigned: start the given partitions (incrementally with a cooperative protocol).
    Result<void> accept(const std::vector<StartAt>& starts);
    // After Polled::revoked: give them up (after the caller stored and commit() ran).
    Result<void> release(const std::vector<TopicPartition>& tps);

    // Waits up to timeout_ms for one event; `out` is reused between calls.
    void poll(Polled& out, int timeout_ms);

    // Next offset the application will see, per partition (-1 when unknown).
    std::vector<int64_t> positions(const std::vector<TopicPartition>& tps);
    void pause(const std::vector<TopicPartition>& tps);
    // librdkafka 2.0 waits up to a second before fetching again once its prefetch queue
    // was full; any request to the partitions' leaders makes it look again at once.
    void wake_fetcher(const std::vector<TopicPartition>& tps);
    // Marks records before `next_offset` as done (group mode; committed by commit()).
    Result<void> store(const std::vector<std::pair<TopicPartition, int64_t>>& next_offsets);
    // Synchronous commit of stored offsets (no-op without a group or with commit off).
    Result<void> commit();
    // Whether a single metadata request is answered within `timeout` (the brokers are back).
    bool reachable(Millis timeout);
    // Leaves the group cleanly; called by the destructor if not called before.
    Result<void> close();

    bool grouped() const { return options_.group.has_value(); }
    Client& client() { return client_; }

    Consumer(Consumer&&) noexcept = default;
    Consumer& operator=(Consumer&&) noexcept = delete;
    ~Consumer();

private:
    Consumer(Client c, QueuePtr q, ConsumerOptions o)
        : client_(std::move(c)), queue_(std::move(q)), options_(std::move(o)) {}
    bool cooperative() const;
    Client client_;
    QueuePtr queue_;
    ConsumerOptions options_;
    EventPtr current_;  // owns the message behind Polled::record
    bool closed_ = false;
};

}  // namespace kpipe::kafka
