#include "kafka/time_lag.hpp"
#include "kafka/handle.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "kafka/admin.hpp"

namespace kpipe::kafka {

namespace {

using Clock = std::chrono::steady_clock;

// Handles reading side by side when several groups sit at different offsets of the
// same partitions (each handle reads its share of the rounds one after another).
constexpr size_t max_parallel = 4;

// The simple consumer API: no group, so no coordinator to wait for before fetching.
Result<Client> reader(const Settings& settings) {
    // Small fetches: one record per partition is all that is wanted.
    Properties defaults{{"fetch.message.max.bytes", "65536"},
                        {"queued.min.messages", "1"},
                        {"fetch.wait.max.ms", "100"}};
    Properties forced{{"enable.auto.commit", "false"},
                      {"enable.auto.offset.store", "false"},
                      {"enable.partition.eof", "true"},
                      {"auto.offset.reset", "earliest"}};
    return Client::create(settings, Role::consumer, defaults, forced);
}

class Reader {
    struct Started {
        rd_kafka_topic_t* rkt = nullptr;
        size_t index = 0;  // into the positions
    };

public:
    explicit Reader(Client c) : client_(std::move(c)) {}

    // Reads the positions `which` (distinct partitions) in one go.
    Result<void> round(const std::vector<Committed>& at, const std::vector<size_t>& which,
                       Clock::time_point deadline, std::vector<RecordTime>& out) {
        QueuePtr queue(rd_kafka_queue_new(Handle::of(client_)));  // a fresh queue: nothing left from earlier rounds
        std::map<TopicPartition, Started> waiting;
        struct Stopper {  // whatever is still fetching when the round ends
            std::map<TopicPartition, Started>& waiting;
            ~Stopper() {
                for (const auto& [tp, s] : waiting) rd_kafka_consume_stop(s.rkt, tp.partition);
            }
        } stopper{waiting};
        for (size_t i : which) {
            rd_kafka_topic_t* rkt = topic(at[i].tp.topic);
            if (!rkt || rd_kafka_consume_start_queue(rkt, at[i].tp.partition, at[i].offset, queue.get()) == -1)
                return fail(Exit::runtime, "read {} [{}] at offset {}: {}", at[i].tp.topic, at[i].tp.partition,
                            at[i].offset, err_name(rd_kafka_last_error()));
            waiting.emplace(at[i].tp, Started{rkt, i});
        }
        size_t pokes = 0;
        while (!waiting.empty()) {
            auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
            if (left <= 0) break;
            MessagePtr m(rd_kafka_consume_queue(queue.get(), static_cast<int>(std::min<long long>(left, poke_after))));
            if (auto u = client_.usable(); !u) return std::unexpected(u.error());
            if (!m) {
                poke(waiting, pokes++);
                continue;
            }
            if (!m->rkt) continue;  // a client-level error: retried until the deadline
            auto it = waiting.find({rd_kafka_topic_name(m->rkt), m->partition});
            if (it == waiting.end()) continue;
            const size_t i = it->second.index;
            RecordTime& r = out[i];
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                r.nothing_to_read = true;
            } else if (m->err) {
                // A partition-level error (not authorized to read, topic gone): time lag stays unknown.
            } else if (m->offset < at[i].offset) {
                continue;
            } else {
                int64_t ts = rd_kafka_message_timestamp(m.get(), nullptr);
                if (ts >= 0) r.timestamp_ms = ts;
            }
            rd_kafka_consume_stop(it->second.rkt, it->first.partition);  // answered: no more fetching there
            waiting.erase(it);
        }
        return {};
    }

private:
    // librdkafka 2.0 can miss waking a broker thread for partitions started while it
    // was busy, and then fetches them only after its 1 s idle wait. A request to the
    // leader of a waiting partition wakes its thread; each quiet spell picks another.
    static constexpr int poke_after = 20;  // ms without a record
    void poke(const std::map<TopicPartition, Started>& waiting, size_t n) {
        auto it = std::next(waiting.begin(), static_cast<long>(n % waiting.size()));
        int64_t low = 0, high = 0;
        rd_kafka_query_watermark_offsets(Handle::of(client_), it->first.topic.c_str(), it->first.partition, &low, &high,
                                         poke_after);
    }

    rd_kafka_topic_t* topic(const std::string& name) {
        auto it = topics_.find(name);
        if (it == topics_.end())
            it = topics_.emplace(name, TopicPtr(rd_kafka_topic_new(Handle::of(client_), name.c_str(), nullptr))).first;
        return it->second.get();
    }

    Client client_;
    std::map<std::string, TopicPtr> topics_;  // released before the client
};

// Reads rounds[k] for k = first, first + step, ... with one handle.
Result<void> read_rounds(const Settings& settings, const std::vector<Committed>& at,
                         const std::vector<std::vector<size_t>>& rounds, size_t first, size_t step,
                         Clock::time_point deadline, std::vector<RecordTime>& out) {
    auto client = reader(settings);
    if (!client) return std::unexpected(client.error());
    Reader r(std::move(*client));
    for (size_t k = first; k < rounds.size() && Clock::now() < deadline; k += step)
        if (auto done = r.round(at, rounds[k], deadline, out); !done) return done;
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
    size_t n = std::min(max_parallel, rounds.size());
    std::vector<Result<void>> results(n);
    {
        std::vector<std::jthread> threads;
        for (size_t w = 1; w < n; ++w)
            threads.emplace_back([&, w] { results[w] = read_rounds(settings, at, rounds, w, n, deadline, out); });
        if (n > 0) results[0] = read_rounds(settings, at, rounds, 0, n, deadline, out);
    }
    for (auto& r : results)
        if (!r) return std::unexpected(r.error());
    return out;
}

}  // namespace kpipe::kafka
