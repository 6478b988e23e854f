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

// Answers a partition's leader gives for a moment after a leader dies or moves, or
// just after the topic was created: asked again (with fresh metadata) until --timeout.
bool transient(rd_kafka_resp_err_t err) {
    switch (err) {
        case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
        case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
        case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
        case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
        case RD_KAFKA_RESP_ERR__TRANSPORT:
        case RD_KAFKA_RESP_ERR__TIMED_OUT:
        case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
            return true;
        default:
            return false;
    }
}

Result<std::vector<int64_t>> list_offsets(Client& c, const std::vector<TopicPartition>& tps,
                                          const std::vector<int64_t>& query) {
    if (tps.empty()) return std::vector<int64_t>{};
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + c.settings().timeout;
    for (int attempt = 0;; ++attempt) {
        PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(tps.size())));
        for (size_t i = 0; i < tps.size(); ++i)
            rd_kafka_topic_partition_list_add(list.get(), tps[i].topic.c_str(), tps[i].partition)->offset = query[i];
        // A request to a leader that just died waits for it: ask in short slices.
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
        auto err = rd_kafka_offsets_for_times(Handle::of(c), list.get(), static_cast<int>(std::clamp<int64_t>(left, 1, 2500)));
        const rd_kafka_topic_partition_t* bad = nullptr;
        for (int i = 0; !err && i < list->cnt; ++i)
            if (list->elems[i].err) bad = &list->elems[i];
        if (!err && !bad) {
            std::vector<int64_t> out;
            for (int i = 0; i < list->cnt; ++i) out.push_back(list->elems[i].offset);
            return out;
        }
        auto why = err ? err : bad->err;
        if (transient(why) && clock::now() + std::chrono::milliseconds(200) < deadline) {
            refresh_metadata(c);  // so that the next attempt asks the partition's new leader
            std::this_thread::sleep_for(std::chrono::milliseconds(std::min(100 * (attempt + 1), 500)));
            continue;
        }
        if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT)
            return std::unexpected(c.connect_error("list offsets"));
        if (err) return fail(transient(err) ? Exit::connect : exit_for(err), "list offsets: {}", err_name(err));
        if (transient(bad->err))
            return fail(Exit::connect, "list offsets of {} [{}]: no answer from its leader within {}: {}", bad->topic,
                        bad->partition, format_duration(c.settings().timeout), err_name(bad->err));
        return fail(exit_for(bad->err), "list offsets of {} [{}]: {}", bad->topic, bad->partition, err_name(bad->err));
    }
}

}  // namespace

Result<std::vector<Watermark>> watermarks(Client& c, const std::vector<TopicPartition>& tps) {
    auto low = list_offsets(c, tps, std::vector<int64_t>(tps.size(), RD_KAFKA_OFFSET_BEGINNING));
    if (!low) return std::unexpected(low.error());
    auto high = list_offsets(c, tps, std::vector<int64_t>(tps.size(), RD_KAFKA_OFFSET_END));
    if (!high) return std::unexpected(high.error());
    std::vector<Watermark> out;
    for (size_t i = 0; i < tps.size(); ++i) out.push_back({tps[i], (*low)[i], (*high)[i]});
    return out;
}

Result<std::vector<int64_t>> offsets_for_times(Client& c, const std::vector<TopicPartition>& tps,
                                               const std::vector<int64_t>& times_ms) {
    return list_offsets(c, tps, times_ms);
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
