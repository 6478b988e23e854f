#include "kafka/admin.hpp"
#include "kafka/handle.hpp"

#include <algorithm>

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

Result<std::vector<int64_t>> list_offsets(Client& c, const std::vector<TopicPartition>& tps,
                                          const std::vector<int64_t>& query) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(tps.size())));
    for (size_t i = 0; i < tps.size(); ++i)
        rd_kafka_topic_partition_list_add(list.get(), tps[i].topic.c_str(), tps[i].partition)->offset = query[i];
    if (tps.empty()) return std::vector<int64_t>{};
    auto err = rd_kafka_offsets_for_times(Handle::of(c), list.get(), static_cast<int>(c.settings().timeout.count()));
    if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT)
        return std::unexpected(c.connect_error("list offsets"));
    if (err) return fail(exit_for(err), "list offsets: {}", err_name(err));
    std::vector<int64_t> out(tps.size(), -1);
    for (int i = 0; i < list->cnt; ++i) {
        const auto& e = list->elems[i];
        if (e.err && e.err != RD_KAFKA_RESP_ERR_NO_ERROR)
            return fail(exit_for(e.err), "list offsets of {} [{}]: {}", e.topic, e.partition, err_name(e.err));
        out[static_cast<size_t>(i)] = e.offset;
    }
    return out;
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

Result<std::vector<ConfigEntry>> describe_topic_config(Client& c, const std::string& topic) {
    auto call = prepare(c, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    if (!call) return std::unexpected(call.error());
    ConfigResourcePtr res(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
    rd_kafka_ConfigResource_t* raw = res.get();
    rd_kafka_DescribeConfigs(Handle::of(c), &raw, 1, call->options.get(), call->queue.get());
    auto ev = wait_result(c, *call, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, "describe configs");
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
    return {};
}

}  // namespace kpipe::kafka
