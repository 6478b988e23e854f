#include "kafka/admin.hpp"
#include "kafka/handle.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "duration.hpp"
#include "kafka/admin_call.hpp"

namespace kpipe::kafka {

namespace {

std::vector<Outcome> outcomes(const rd_kafka_topic_result_t** res, size_t n) {
    std::vector<Outcome> out;
    for (size_t i = 0; i < n; ++i) {
        const char* msg = rd_kafka_topic_result_error_string(res[i]);
        auto err = rd_kafka_topic_result_error(res[i]);
        out.push_back({rd_kafka_topic_result_name(res[i]), fault_of(err), msg ? msg : (err ? rd_kafka_err2str(err) : "")});
    }
    return out;
}

void refresh_metadata(Client& c) {
    const rd_kafka_metadata_t* md = nullptr;
    if (!rd_kafka_metadata(Handle::of(c), 0, nullptr, &md, 1000)) MetadataPtr{md};
}

// Answers a partition's leader gives for a moment after a leader dies or moves, or just
// after the topic was created, or that show librdkafka's metadata cache is stale: asked
// again (with fresh metadata) until --timeout.
bool transient(rd_kafka_resp_err_t err) {
    switch (err) {
        case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
        case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
        case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
        case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
        case RD_KAFKA_RESP_ERR__TRANSPORT:
        case RD_KAFKA_RESP_ERR__TIMED_OUT:
            return true;
        default:
            return false;
    }
}

// A partition the leader or the metadata does not know: deleted, or created a moment ago.
bool gone(rd_kafka_resp_err_t err) {
    return err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
           err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION;
}

bool listed(const ClusterInfo& info, const TopicPartition& tp) {
    const auto* t = info.find(tp.topic);
    return t && std::any_of(t->partitions.begin(), t->partitions.end(), [&](const auto& p) { return p.id == tp.partition; });
}

// One ListOffsets query per partition; nullopt for a partition that is gone (Missing::skip).
// Transient answers are retried, in short slices (a request to a leader that just died
// waits for it), with fresh metadata, until --timeout. A partition the leader does not
// know is gone only once fresh metadata does not list it either.
Result<std::vector<std::optional<int64_t>>> list_offsets(Client& c, const std::vector<TopicPartition>& tps,
                                                         const std::vector<int64_t>& query, Missing missing) {
    using clock = std::chrono::steady_clock;
    std::vector<std::optional<int64_t>> out(tps.size());
    if (tps.empty()) return out;
    const auto deadline = clock::now() + c.settings().timeout;
    std::vector<bool> confirmed_gone(tps.size(), false);
    for (int attempt = 0;; ++attempt) {
        PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(tps.size())));
        for (size_t i = 0; i < tps.size(); ++i)
            rd_kafka_topic_partition_list_add(list.get(), tps[i].topic.c_str(), tps[i].partition)->offset = query[i];
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        auto err = rd_kafka_offsets_for_times(Handle::of(c), list.get(), static_cast<int>(std::clamp<int64_t>(left, 1, 2500)));
        const bool last = clock::now() + std::chrono::milliseconds(200) >= deadline;
        // No partition had a leader, or some are unknown: each one's error says why.
        const bool per_partition = !err || err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION;
        std::optional<Error> failure;
        bool retry = false, said_why = false, unconfirmed = false;
        auto whole = [&] {
            if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT)
                return c.connect_error("list offsets");
            return Error{transient(err) ? Exit::connect : exit_for(err), fmt::format("list offsets: {}", err_name(err))};
        };
        if (!per_partition) {
            failure = whole();
            retry = transient(err) || gone(err);
        }
        for (int i = 0; per_partition && i < list->cnt; ++i) {
            const auto& e = list->elems[i];
            auto k = static_cast<size_t>(i);
            out[k].reset();
            if (!e.err) {
                out[k] = e.offset;
                continue;
            }
            said_why = true;
            if (gone(e.err) && !confirmed_gone[k]) unconfirmed = retry = true;
            if (transient(e.err)) retry = true;
            if (gone(e.err) && missing == Missing::skip && (confirmed_gone[k] || last)) continue;
            if (failure) continue;
            if (transient(e.err) || (gone(e.err) && !confirmed_gone[k]))
                failure = Error{Exit::connect, fmt::format("list offsets of {} [{}]: no answer from its leader within {}: {}",
                                                           e.topic, e.partition, format_duration(c.settings().timeout),
                                                           err_name(e.err))};
            else
                failure = Error{exit_for(e.err), fmt::format("list offsets of {} [{}]: {}", e.topic, e.partition, err_name(e.err))};
        }
        if (err && per_partition && !said_why) failure = whole();
        if (!retry || last) {
            if (failure) return std::unexpected(*failure);
            return out;
        }
        if (unconfirmed) {
            auto fresh = c.cluster();
            if (!fresh) return std::unexpected(fresh.error());
            for (int i = 0; i < list->cnt; ++i)
                if (gone(list->elems[i].err) && !listed(*fresh, tps[static_cast<size_t>(i)]))
                    confirmed_gone[static_cast<size_t>(i)] = true;
        } else {
            refresh_metadata(c);  // so that the next attempt asks the partition's new leader
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100 * (attempt + 1), 500)));
    }
}

}  // namespace

Result<std::vector<Watermark>> watermarks(Client& c, const std::vector<TopicPartition>& tps, Missing missing) {
    auto low = list_offsets(c, tps, std::vector<int64_t>(tps.size(), RD_KAFKA_OFFSET_BEGINNING), missing);
    if (!low) return std::unexpected(low.error());
    auto high = list_offsets(c, tps, std::vector<int64_t>(tps.size(), RD_KAFKA_OFFSET_END), missing);
    if (!high) return std::unexpected(high.error());
    std::vector<Watermark> out;
    for (size_t i = 0; i < tps.size(); ++i) {
        bool exists = (*low)[i] && (*high)[i];
        out.push_back({tps[i], (*low)[i].value_or(-1), (*high)[i].value_or(-1), exists});
    }
    return out;
}

Result<std::vector<int64_t>> offsets_for_times(Client& c, const std::vector<TopicPartition>& tps,
                                               const std::vector<int64_t>& times_ms) {
    auto offsets = list_offsets(c, tps, times_ms, Missing::fail);
    if (!offsets) return std::unexpected(offsets.error());
    std::vector<int64_t> out;
    for (const auto& o : *offsets) out.push_back(o.value_or(-1));
    return out;
}

Result<std::vector<Outcome>> create_topics(Client& c, const std::vector<NewTopic>& topics) {
    auto call = prepare(c, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    if (!call) return std::unexpected(call.error());
    std::vector<NewTopicPtr> owned;
    std::vector<rd_kafka_NewTopic_t*> raw;
    char errstr[512];
    for (const auto& t : topics) {
        NewTopicPtr nt(rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, t.replication_factor, errstr, sizeof errstr));
        if (!nt) return fail(Exit::usage, "topic {}: {}", t.name, errstr);
        for (const auto& [k, v] : t.configs)
            if (rd_kafka_NewTopic_set_config(nt.get(), k.c_str(), v.c_str()))
                return fail(Exit::usage, "topic {}: invalid config {}={}", t.name, k, v);
        raw.push_back(nt.get());
        owned.push_back(std::move(nt));
    }
    rd_kafka_CreateTopics(Handle::of(c), raw.data(), raw.size(), call->options.get(), call->queue.get());
    auto ev = wait_result(c, *call, RD_KAFKA_EVENT_CREATETOPICS_RESULT, "create topics");
    if (!ev) return std::unexpected(ev.error());
    size_t n = 0;
    auto res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev->get()), &n);
    return outcomes(res, n);
}

Result<std::vector<Outcome>> delete_topics(Client& c, const std::vector<std::string>& topics) {
    auto call = prepare(c, RD_KAFKA_ADMIN_OP_DELETETOPICS);
    if (!call) return std::unexpected(call.error());
    std::vector<DeleteTopicPtr> owned;
    std::vector<rd_kafka_DeleteTopic_t*> raw;
    for (const auto& t : topics) {
        owned.emplace_back(rd_kafka_DeleteTopic_new(t.c_str()));
        raw.push_back(owned.back().get());
    }
    rd_kafka_DeleteTopics(Handle::of(c), raw.data(), raw.size(), call->options.get(), call->queue.get());
    auto ev = wait_result(c, *call, RD_KAFKA_EVENT_DELETETOPICS_RESULT, "delete topics");
    if (!ev) return std::unexpected(ev.error());
    size_t n = 0;
    auto res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev->get()), &n);
    return outcomes(res, n);
}

Result<Outcome> add_partitions(Client& c, const std::string& topic, int total) {
    auto call = prepare(c, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS);
    if (!call) return std::unexpected(call.error());
    char errstr[512];
    NewPartitionsPtr np(rd_kafka_NewPartitions_new(topic.c_str(), static_cast<size_t>(total), errstr, sizeof errstr));
    if (!np) return fail(Exit::usage, "topic {}: {}", topic, errstr);
    rd_kafka_NewPartitions_t* raw = np.get();
    rd_kafka_CreatePartitions(Handle::of(c), &raw, 1, call->options.get(), call->queue.get());
    auto ev = wait_result(c, *call, RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT, "add partitions");
    if (!ev) return std::unexpected(ev.error());
    size_t n = 0;
    auto res = rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev->get()), &n);
    auto out = outcomes(res, n);
    if (out.empty()) return fail(Exit::runtime, "add partitions: empty result for {}", topic);
    return out.front();
}

namespace {

// A topic's configs. The request goes to one broker, which may be a node that just
// died: it is asked in short slices, again until --timeout.
Result<EventPtr> describe_configs(Client& c, const std::string& topic) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + c.settings().timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        auto call = prepare(c, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, static_cast<int>(std::clamp<int64_t>(left, 1, 3000)));
        if (!call) return std::unexpected(call.error());
        ConfigResourcePtr res(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
        rd_kafka_ConfigResource_t* raw = res.get();
        rd_kafka_DescribeConfigs(Handle::of(c), &raw, 1, call->options.get(), call->queue.get());
        auto ev = wait_result(c, *call, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, "describe configs");
        if (ev || ev.error().code != Exit::connect || clock::now() + std::chrono::milliseconds(200) >= deadline)
            return ev;
        refresh_metadata(c);
    }
}

}  // namespace

Result<std::vector<ConfigEntry>> describe_topic_config(Client& c, const std::string& topic) {
    auto ev = describe_configs(c, topic);
    if (!ev) return std::unexpected(ev.error());
    size_t n = 0;
    auto rs = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev->get()), &n);
    if (n != 1) return fail(Exit::runtime, "describe configs of {}: empty result", topic);
    if (auto err = rd_kafka_ConfigResource_error(rs[0]))
        return fail(exit_for(err), "topic {}: {}", topic, rd_kafka_ConfigResource_error_string(rs[0]));
    size_t cnt = 0;
    auto entries = rd_kafka_ConfigResource_configs(rs[0], &cnt);
    std::vector<ConfigEntry> out;
    for (size_t i = 0; i < cnt; ++i) {
        const auto* e = entries[i];
        const char* v = rd_kafka_ConfigEntry_value(e);
        std::string source = rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(e));
        std::transform(source.begin(), source.end(), source.begin(), [](unsigned char ch) { return std::tolower(ch); });
        out.push_back({rd_kafka_ConfigEntry_name(e), v ? v : "", v == nullptr,
                       rd_kafka_ConfigEntry_is_default(e) != 0, rd_kafka_ConfigEntry_is_sensitive(e) != 0,
                       rd_kafka_ConfigEntry_is_read_only(e) != 0, source});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

Result<void> alter_topic_config(Client& c, const std::string& topic, const Properties& set,
                                const std::vector<std::string>& remove) {
    // AlterConfigs replaces the whole dynamic set, so start from what the topic has now.
    auto current = describe_topic_config(c, topic);
    if (!current) return std::unexpected(current.error());
    Properties next;
    for (const auto& e : *current)
        if (e.source == "dynamic_topic_config" && !e.is_null) next[e.name] = e.value;
    for (const auto& name : remove) {
        bool known = std::any_of(current->begin(), current->end(), [&](const auto& e) { return e.name == name; });
        if (!known) return fail(Exit::usage, "topic {}: unknown config '{}'", topic, name);
        next.erase(name);
    }
    for (const auto& [k, v] : set) next[k] = v;

    auto call = prepare(c, RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
    if (!call) return std::unexpected(call.error());
    ConfigResourcePtr res(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
    for (const auto& [k, v] : next)
        if (rd_kafka_ConfigResource_set_config(res.get(), k.c_str(), v.c_str()))
            return fail(Exit::usage, "topic {}: invalid config {}={}", topic, k, v);
    rd_kafka_ConfigResource_t* raw = res.get();
    rd_kafka_AlterConfigs(Handle::of(c), &raw, 1, call->options.get(), call->queue.get());
    auto ev = wait_result(c, *call, RD_KAFKA_EVENT_ALTERCONFIGS_RESULT, "alter configs");
    if (!ev) return std::unexpected(ev.error());
    size_t n = 0;
    auto rs = rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev->get()), &n);
    if (n == 1)
        if (auto err = rd_kafka_ConfigResource_error(rs[0]))
            return fail(exit_for(err), "topic {}: {}", topic, rd_kafka_ConfigResource_error_string(rs[0]));
    // The brokers apply the change a moment later. Return once it shows, so that the next
    // alter (which starts from what the topic has) does not undo this one.
    const auto deadline = std::chrono::steady_clock::now() + c.settings().timeout;
    for (;;) {
        auto now = describe_topic_config(c, topic);
        if (!now) return std::unexpected(now.error());
        size_t same = 0, dynamic = 0;
        for (const auto& e : *now) {
            if (e.source != "dynamic_topic_config") continue;
            ++dynamic;
            auto it = next.find(e.name);
            same += it != next.end() && (e.is_sensitive || e.value == it->second);
        }
        if (same == next.size() && dynamic == next.size()) return {};
        if (std::chrono::steady_clock::now() >= deadline)
            return fail(Exit::connect, "topic {}: the new configs were accepted but not in force within {}", topic,
                        format_duration(c.settings().timeout));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace kpipe::kafka
