#include "kafka/groups.hpp"
#include "kafka/handle.hpp"

#include <algorithm>
#include <map>

#include "kafka/admin_call.hpp"
#include "kafka/time_lag.hpp"
#include "timestamp.hpp"

namespace kpipe::kafka {

namespace {

// Committed-offset requests in flight at once: enough to hide round trips, few enough
// not to flood a coordinator with hundreds of groups.
constexpr size_t max_in_flight = 32;

std::string state_name(rd_kafka_consumer_group_state_t s) { return rd_kafka_consumer_group_state_name(s); }

std::vector<TopicPartition> partitions_of(const rd_kafka_topic_partition_list_t* list) {
    std::vector<TopicPartition> out;
    if (!list) return out;
    for (int i = 0; i < list->cnt; ++i) out.push_back({list->elems[i].topic, list->elems[i].partition});
    return out;
}

Error group_error(std::string_view group, const rd_kafka_error_t* err) {
    return Error{exit_for(rd_kafka_error_code(err)),
                 fmt::format("consumer group '{}': {}", group, rd_kafka_error_string(err))};
}

}  // namespace

Result<std::vector<GroupListing>> list_groups(Client& c) {
    auto call = prepare(c, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    if (!call) return std::unexpected(call.error());
    rd_kafka_ListConsumerGroups(Handle::of(c), call->options.get(), call->queue.get());
    auto ev = wait_result(c, *call, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, "list consumer groups");
    if (!ev) return std::unexpected(ev.error());
    const auto* res = rd_kafka_event_ListConsumerGroups_result(ev->get());
    size_t n_err = 0;
    const rd_kafka_error_t** errs = rd_kafka_ListConsumerGroups_result_errors(res, &n_err);
    if (n_err > 0) {
        auto code = rd_kafka_error_code(errs[0]);
        if (code == RD_KAFKA_RESP_ERR__TIMED_OUT || code == RD_KAFKA_RESP_ERR__TRANSPORT)
            return std::unexpected(c.connect_error("list consumer groups"));
        return fail(exit_for(code), "list consumer groups: {}", rd_kafka_error_string(errs[0]));
    }
    size_t n = 0;
    const rd_kafka_ConsumerGroupListing_t** valid = rd_kafka_ListConsumerGroups_result_valid(res, &n);
    std::vector<GroupListing> out;
    for (size_t i = 0; i < n; ++i)
        out.push_back({rd_kafka_ConsumerGroupListing_group_id(valid[i]),
                       state_name(rd_kafka_ConsumerGroupListing_state(valid[i])),
                       rd_kafka_ConsumerGroupListing_is_simple_consumer_group(valid[i]) != 0});
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.group < b.group; });
    return out;
}

Result<std::vector<GroupDescription>> describe_groups(Client& c, const std::vector<std::string>& groups) {
    std::vector<GroupDescription> out(groups.size());
    if (groups.empty()) return out;
    auto call = prepare(c, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    if (!call) return std::unexpected(call.error());
    std::vector<const char*> names;
    for (const auto& g : groups) names.push_back(g.c_str());
    rd_kafka_DescribeConsumerGroups(Handle::of(c), names.data(), names.size(), call->options.get(), call->queue.get());
    auto ev = wait_result(c, *call, RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, "describe consumer groups");
    if (!ev) return std::unexpected(ev.error());
    size_t n = 0;
    const auto** descs =
        rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(ev->get()), &n);
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < groups.size(); ++i) index[groups[i]] = i;
    for (size_t i = 0; i < n; ++i) {
        const auto* d = descs[i];
        std::string name = rd_kafka_ConsumerGroupDescription_group_id(d);
        auto at = index.find(name);
        if (at == index.end()) continue;
        GroupDescription& g = out[at->second];
        g.group = name;
        if (const rd_kafka_error_t* err = rd_kafka_ConsumerGroupDescription_error(d)) {
            if (rd_kafka_error_code(err) != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND)
                return std::unexpected(group_error(name, err));
            g.exists = false;
            g.state = "Dead";
            continue;
        }
        auto state = rd_kafka_ConsumerGroupDescription_state(d);
        g.state = state_name(state);
        g.exists = state != RD_KAFKA_CONSUMER_GROUP_STATE_DEAD;
        size_t members = rd_kafka_ConsumerGroupDescription_member_count(d);
        for (size_t m = 0; m < members; ++m) {
            const auto* md = rd_kafka_ConsumerGroupDescription_member(d, m);
            const char* host = rd_kafka_MemberDescription_host(md);
            const char* client = rd_kafka_MemberDescription_client_id(md);
            const char* consumer = rd_kafka_MemberDescription_consumer_id(md);
            const auto* assignment = rd_kafka_MemberDescription_assignment(md);
            const auto* assigned = assignment ? rd_kafka_MemberAssignment_partitions(assignment) : nullptr;
            g.members.push_back({client ? client : "", host ? host : "", consumer ? consumer : "",
                                 partitions_of(assigned)});
        }
    }
    for (size_t i = 0; i < out.size(); ++i)
        if (out[i].group.empty()) return fail(Exit::runtime, "describe consumer groups: no answer for '{}'", groups[i]);
    return out;
}

Result<std::vector<std::vector<Committed>>> committed_offsets(Client& c, const std::vector<std::string>& groups) {
    std::vector<std::vector<Committed>> out(groups.size());
    if (groups.empty()) return out;
    auto call = prepare(c, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    if (!call) return std::unexpected(call.error());
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < groups.size(); ++i) index[groups[i]] = i;

    size_t next = 0, in_flight = 0;
    while (next < groups.size() || in_flight > 0) {
        for (; next < groups.size() && in_flight < max_in_flight; ++next, ++in_flight) {
            ListGroupOffsetsPtr req(rd_kafka_ListConsumerGroupOffsets_new(groups[next].c_str(), nullptr));
            rd_kafka_ListConsumerGroupOffsets_t* raw = req.get();
            rd_kafka_ListConsumerGroupOffsets(Handle::of(c), &raw, 1, call->options.get(), call->queue.get());
        }
        auto ev = wait_result(c, *call, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, "list committed offsets");
        if (!ev) return std::unexpected(ev.error());
        --in_flight;
        size_t n = 0;
        const auto* result = rd_kafka_event_ListConsumerGroupOffsets_result(ev->get());
        const auto** res = rd_kafka_ListConsumerGroupOffsets_result_groups(result, &n);
        for (size_t i = 0; i < n; ++i) {
            std::string name = rd_kafka_group_result_name(res[i]);
            auto at = index.find(name);
            if (at == index.end()) continue;
            if (const rd_kafka_error_t* err = rd_kafka_group_result_error(res[i])) {
                if (rd_kafka_error_code(err) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) continue;
                return std::unexpected(group_error(name, err));
            }
            const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(res[i]);
            if (!parts) continue;
            for (int p = 0; p < parts->cnt; ++p) {
                const auto& e = parts->elems[p];
                if (e.err || e.offset < 0) continue;  // no commit there, or the topic is gone
                out[at->second].push_back({{e.topic, e.partition}, e.offset});
            }
        }
    }
    for (auto& v : out) std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.tp < b.tp; });
    return out;
}

Result<void> alter_committed_offsets(Client& c, const std::string& group,
                                     const std::vector<std::pair<TopicPartition, int64_t>>& offsets) {
    auto call = prepare(c, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS);
    if (!call) return std::unexpected(call.error());
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
    for (const auto& [tp, off] : offsets)
        rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = off;
    AlterGroupOffsetsPtr req(rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.get()));
    rd_kafka_AlterConsumerGroupOffsets_t* raw = req.get();
    rd_kafka_AlterConsumerGroupOffsets(Handle::of(c), &raw, 1, call->options.get(), call->queue.get());
    auto ev = wait_result(c, *call, RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT, "set committed offsets");
    if (!ev) return std::unexpected(ev.error());
    size_t n = 0;
    const auto** res = rd_kafka_AlterConsumerGroupOffsets_result_groups(
        rd_kafka_event_AlterConsumerGroupOffsets_result(ev->get()), &n);
    for (size_t i = 0; i < n; ++i) {
        if (const rd_kafka_error_t* err = rd_kafka_group_result_error(res[i])) return std::unexpected(group_error(group, err));
        const auto* parts = rd_kafka_group_result_partitions(res[i]);
        for (int p = 0; parts && p < parts->cnt; ++p)
            if (parts->elems[p].err)
                return fail(exit_for(parts->elems[p].err), "set committed offset of group '{}' on {} [{}]: {}", group,
                            parts->elems[p].topic, parts->elems[p].partition, err_name(parts->elems[p].err));
    }
    return {};
}

namespace {

std::vector<std::string> distinct(const std::vector<std::string>& names) {
    std::vector<std::string> out;
    for (const auto& n : names)
        if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    return out;
}

lag::GroupInput input_of(const GroupDescription& d, const std::vector<Committed>& committed) {
    lag::GroupInput in{d.group, d.state, d.members.size(), {}, {}};
    for (const auto& c : committed) in.committed[{c.tp.topic, c.tp.partition}] = c.offset;
    for (const auto& m : d.members)
        for (const auto& tp : m.assignment) in.owners[{tp.topic, tp.partition}] = lag::Owner{m.client_id, m.host};
    return in;
}

// Fills in time lags: one record read per distinct lagging position.
Result<void> add_time_lags(const Settings& settings, int64_t now, std::vector<lag::Group>& groups) {
    std::map<std::pair<TopicPartition, int64_t>, size_t> index;  // position -> its place in `at`
    std::vector<Committed> at;
    for (const auto& g : groups)
        for (const auto& p : g.partitions)
            if (p.lag().value_or(0) > 0 && index.try_emplace({{p.topic, p.partition}, *p.committed}, at.size()).second)
                at.push_back({{p.topic, p.partition}, *p.committed});
    std::vector<RecordTime> times;
    if (!at.empty()) {
        auto read = read_record_times(settings, at, settings.timeout);
        if (!read) return std::unexpected(read.error());
        times = std::move(*read);
    }
    for (auto& g : groups)
        for (auto& p : g.partitions) {
            RecordTime t;
            if (p.lag().value_or(0) > 0) t = times[index.at({{p.topic, p.partition}, *p.committed})];
            p.time_lag_ms = lag::time_lag_ms(p.lag(), t.timestamp_ms, t.nothing_to_read, now);
        }
    return {};
}

}  // namespace

Result<LagSnapshot> observe_lag(Client& admin, const LagQuery& q) {
    auto info = admin.cluster();
    if (!info) return std::unexpected(info.error());
    if (q.topic && !info->find(*q.topic)) return fail(Exit::not_found, "topic '{}' does not exist", *q.topic);
    std::map<std::string, int32_t> partition_counts;
    for (const auto& t : info->topics) partition_counts[t.name] = static_cast<int32_t>(t.partitions.size());

    const bool named = !q.groups.empty();
    std::vector<std::string> names = distinct(q.groups);
    if (!named) {
        auto listed = list_groups(admin);
        if (!listed) return std::unexpected(listed.error());
        for (const auto& l : *listed) names.push_back(l.group);
    }
    auto descs = describe_groups(admin, names);
    if (!descs) return std::unexpected(descs.error());
    auto committed = committed_offsets(admin, names);
    if (!committed) return std::unexpected(committed.error());

    LagSnapshot snap;
    std::vector<std::pair<lag::GroupInput, std::vector<std::string>>> inputs;
    std::vector<TopicPartition> tps;
    for (size_t i = 0; i < names.size(); ++i) {
        const auto& d = (*descs)[i];
        const auto& c = (*committed)[i];
        if (!d.exists && c.empty()) {
            if (named) snap.missing.push_back(names[i]);
            continue;
        }
        auto in = input_of(d, c);
        auto topics = lag::topics_of(in, partition_counts, q.topic);
        if (topics.empty() && q.topic && !named) continue;  // not a consumer of that topic
        for (const auto& t : topics)
            for (int32_t p = 0; p < partition_counts[t]; ++p) tps.push_back({t, p});
        inputs.emplace_back(std::move(in), std::move(topics));
    }
    std::sort(tps.begin(), tps.end());
    tps.erase(std::unique(tps.begin(), tps.end()), tps.end());
    auto highs = offsets_for_times(admin, tps, std::vector<int64_t>(tps.size(), RD_KAFKA_OFFSET_END));
    if (!highs) return std::unexpected(highs.error());
    snap.at_ms = now_ms();
    std::vector<std::string> read;
    for (const auto& tp : tps)
        if (read.empty() || read.back() != tp.topic) read.push_back(tp.topic);
    snap.nodes_down = info->nodes_down(read);
    std::map<lag::Key, int64_t> ends;
    for (size_t i = 0; i < tps.size(); ++i) ends[{tps[i].topic, tps[i].partition}] = (*highs)[i];
    for (const auto& [in, topics] : inputs) snap.groups.push_back(lag::assemble(in, topics, partition_counts, ends));

    if (q.time_lag)
        if (auto r = add_time_lags(admin.settings(), snap.at_ms, snap.groups); !r) return std::unexpected(r.error());
    return snap;
}

}  // namespace kpipe::kafka
