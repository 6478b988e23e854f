#include "kafka/time_lag.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "kafka/admin.hpp"

namespace kpipe::kafka {

namespace {

using Clock = std::chrono::steady_clock;

// Consumers reading at the same time, when several groups sit at different offsets of
// the same partitions.
constexpr size_t max_parallel = 4;

PartitionListPtr one_partition(const TopicPartition& tp) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
    return list;
}

Result<Client> reader(const Settings& settings) {
    // Small fetches: one record per partition is all that is wanted.
    Properties defaults{{"fetch.message.max.bytes", "65536"},
                        {"queued.min.messages", "1"},
                        {"fetch.wait.max.ms", "100"}};
    // assign() needs a group id; nothing is ever committed or joined under it.
    Properties forced{{"group.id", fmt::format("kpipe-lag-probe-{}", ::getpid())},
                      {"enable.auto.commit", "false"},
                      {"enable.auto.offset.store", "false"},
                      {"enable.partition.eof", "true"},
                      {"auto.offset.reset", "earliest"}};
    auto c = Client::create(settings, Role::consumer, defaults, forced);
    if (c) rd_kafka_poll_set_consumer(c->get());
    return c;
}

// Reads the positions `which` (distinct partitions) with one consumer.
Result<void> read_once(const Settings& settings, const std::vector<Committed>& at, const std::vector<size_t>& which,
                       Clock::time_point deadline, std::vector<RecordTime>& out) {
    auto client = reader(settings);
    if (!client) return std::unexpected(client.error());
    rd_kafka_t* rk = client->get();
    struct Closer {
        rd_kafka_t* rk;
        ~Closer() { rd_kafka_consumer_close(rk); }
    } closer{rk};

    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(which.size())));
    std::map<TopicPartition, size_t> waiting;
    for (size_t i : which) {
        rd_kafka_topic_partition_list_add(list.get(), at[i].tp.topic.c_str(), at[i].tp.partition)->offset =
            at[i].offset;
        waiting.emplace(at[i].tp, i);
    }
    if (auto err = rd_kafka_assign(rk, list.get()))
        return fail(Exit::runtime, "assign partitions to read record times: {}", err_name(err));

    while (!waiting.empty()) {
        auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
        if (left <= 0) break;
        MessagePtr m(rd_kafka_consumer_poll(rk, static_cast<int>(std::min<long long>(left, 100))));
        if (auto f = client->fatal_error()) return std::unexpected(*f);
        if (!m || !m->rkt) continue;  // nothing yet, or a client-level error (retried until the deadline)
        auto it = waiting.find({rd_kafka_topic_name(m->rkt), m->partition});
        if (it == waiting.end()) continue;
        RecordTime& r = out[it->second];
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            r.nothing_to_read = true;
        } else if (m->err) {
            // A partition-level error (not authorized to read, topic gone): time lag stays unknown.
        } else if (m->offset < at[it->second].offset) {
            continue;
        } else {
            int64_t ts = rd_kafka_message_timestamp(m.get(), nullptr);
            if (ts >= 0) r.timestamp_ms = ts;
        }
        rd_kafka_pause_partitions(rk, one_partition(it->first).get());
        waiting.erase(it);
    }
    return {};
}

}  // namespace

Result<std::vector<RecordTime>> read_record_times(const Settings& settings, const std::vector<Committed>& at,
                                                  Millis budget) {
    std::vector<RecordTime> out(at.size());
    auto deadline = Clock::now() + budget;
    // Round k holds the k-th position of each partition.
    std::vector<std::vector<size_t>> rounds;
    std::map<TopicPartition, size_t> seen;
    for (size_t i = 0; i < at.size(); ++i) {
        size_t k = seen[at[i].tp]++;
        if (k == rounds.size()) rounds.emplace_back();
        rounds[k].push_back(i);
    }
    for (size_t first = 0; first < rounds.size(); first += max_parallel) {
        size_t n = std::min(max_parallel, rounds.size() - first);
        std::vector<Result<void>> results(n);
        {
            std::vector<std::jthread> threads;
            for (size_t k = 1; k < n; ++k)
                threads.emplace_back(
                    [&, k] { results[k] = read_once(settings, at, rounds[first + k], deadline, out); });
            results[0] = read_once(settings, at, rounds[first], deadline, out);
        }
        for (auto& r : results)
            if (!r) return std::unexpected(r.error());
    }
    return out;
}

}  // namespace kpipe::kafka
