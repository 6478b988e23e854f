// Admin operations (topics, configs, partitions, watermarks) over the librdkafka C API.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kafka/client.hpp"
#include "kafka/fault.hpp"
#include "record.hpp"

namespace kpipe::kafka {

struct Watermark {
    TopicPartition tp;
    int64_t low = -1;
    int64_t high = -1;
    bool exists = true;  // false: the topic (or partition) is gone, with Missing::skip
};

// What to do with partitions that no longer exist (a topic deleted since the metadata
// request that named it): fail with exit 5, naming it, or mark them and go on.
enum class Missing { fail, skip };

// Low and high watermarks of many partitions in two batched requests. Answers that only
// show librdkafka's metadata is stale (a topic just created or deleted, a leader that
// moved) are retried after a metadata refresh, within --timeout.
Result<std::vector<Watermark>> watermarks(Client& c, const std::vector<TopicPartition>& tps,
                                          Missing missing = Missing::fail);

// Offsets for timestamps (ms); -1 where no record is at or after the time. Retried as above,
// also while a partition has no leader or a new one: in short slices, until --timeout.
Result<std::vector<int64_t>> offsets_for_times(Client& c, const std::vector<TopicPartition>& tps,
                                               const std::vector<int64_t>& times_ms);

struct Outcome {
    std::string name;
    Fault fault = Fault::none;
    std::string message;
    bool ok() const { return fault == Fault::none; }
};

struct NewTopic {
    std::string name;
    int partitions = -1;          // -1: broker default
    int replication_factor = -1;  // -1: broker default
    Properties configs;
};

Result<std::vector<Outcome>> create_topics(Client& c, const std::vector<NewTopic>& topics);
Result<std::vector<Outcome>> delete_topics(Client& c, const std::vector<std::string>& topics);
Result<Outcome> add_partitions(Client& c, const std::string& topic, int total);

struct ConfigEntry {
    std::string name;
    std::string value;
    bool is_null = false;
    bool is_default = false;
    bool is_sensitive = false;
    bool is_read_only = false;
    std::string source;  // dynamic_topic_config, static_broker_config, default_config, ...
};

Result<std::vector<ConfigEntry>> describe_topic_config(Client& c, const std::string& topic);

// Sets and deletes topic configs; others already set on the topic are kept.
Result<void> alter_topic_config(Client& c, const std::string& topic, const Properties& set,
                                const std::vector<std::string>& remove);

}  // namespace kpipe::kafka
