#include "rewind.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "bounds.hpp"
#include "kafka/groups.hpp"
#include "terminal.hpp"

namespace kpipe {

Result<RewindPlan> plan_rewind(kafka::Client& admin, const std::string& group, const std::string& topic,
                               const std::vector<int32_t>& partitions, const OffsetPlan& plan) {
    if (plan.any_stored()) return fail(Exit::usage, "a rewind sets the committed offsets: 'stored' means nothing here");
    bool ranged = plan.all.to.has_value();
    for (const auto& [p, r] : plan.partitions) ranged = ranged || r.to.has_value();
    if (ranged) return fail(Exit::usage, "a rewind goes to one offset per partition: give a start, not a range FROM:TO");
    auto info = admin.cluster();
    if (!info) return std::unexpected(info.error());
    auto described = kafka::describe_groups(admin, {group});
    if (!described) return std::unexpected(described.error());
    auto committed = kafka::committed_offsets(admin, {group});
    if (!committed) return std::unexpected(committed.error());

    RewindPlan out{group, {}, {}};
    for (const auto& m : described->front().members) out.members.push_back(m.client_id + " on " + m.host);
    std::vector<TopicPartition> tps;
    if (!topic.empty()) {
        const auto* t = info->find(topic);
        if (!t) return fail(Exit::not_found, "topic '{}' does not exist", topic);
        for (const auto& p : t->partitions) tps.push_back({topic, p.id});
    } else {
        for (const auto& c : committed->front()) tps.push_back(c.tp);
        if (tps.empty())
            return fail(Exit::not_found, "consumer group '{}' has no committed offsets (name a topic to set some)", group);
    }
    if (!partitions.empty())
        std::erase_if(tps, [&](const auto& tp) {
            return std::find(partitions.begin(), partitions.end(), tp.partition) == partitions.end();
        });
    // Only P=SPEC given: the other partitions keep their offsets.
    if (!plan.all.from) std::erase_if(tps, [&](const auto& tp) { return !plan.partitions.contains(tp.partition); });
    if (tps.empty()) return fail(Exit::not_found, "none of those partitions is in the group's offsets");
    auto bounds = resolve_plan(admin, plan, tps, OffsetSpec{OffsetSpec::Kind::beginning, 0});
    if (!bounds) return std::unexpected(bounds.error());
    for (size_t i = 0; i < tps.size(); ++i) {
        RewindRow row{tps[i], std::nullopt, *(*bounds)[i].start, (*bounds)[i].low, (*bounds)[i].high};
        for (const auto& c : committed->front())
            if (c.tp == tps[i]) row.current = c.offset;
        out.rows.push_back(row);
    }
    return out;
}

Result<void> apply_rewind(kafka::Client& admin, const RewindPlan& plan) {
    if (!plan.members.empty()) {
        std::string who;
        for (const auto& m : plan.members) who += (who.empty() ? "" : ", ") + m;
        return fail(Exit::runtime,
                    "consumer group '{}' has {} active member(s) ({}): stop them first; Kafka changes a group's "
                    "offsets only while it has none",
                    plan.group, plan.members.size(), who);
    }
    std::vector<std::pair<TopicPartition, int64_t>> offsets;
    for (const auto& r : plan.rows) offsets.emplace_back(r.tp, r.target);
    return kafka::alter_committed_offsets(admin, plan.group, offsets);
}

std::string rewind_table(const RewindPlan& plan, RewindDone done) {
    Table t({"TOPIC", "PARTITION", "CURRENT", "NEW", "RE-READ"});
    for (size_t c : {1, 2, 3, 4}) t.right_align(c);
    int64_t again = 0, skipped = 0;
    for (const auto& r : plan.rows) {
        (r.reread() >= 0 ? again : skipped) += r.reread();
        t.add({r.tp.topic, std::to_string(r.tp.partition), r.current ? std::to_string(*r.current) : "-",
               std::to_string(r.target), std::to_string(r.reread())});
    }
    std::string out = t.render();
    out += fmt::format("\ngroup '{}': {} partition(s), {} record(s) to read again{}{}\n", plan.group, plan.rows.size(),
                       again, skipped < 0 ? fmt::format(", {} to skip", -skipped) : "",
                       done == RewindDone::applied ? "; offsets set"
                       : done == RewindDone::refused ? "; nothing changed"
                                                     : "; nothing changed (--execute sets them)");
    return out;
}

std::string rewind_json(const RewindPlan& plan, RewindDone done) {
    nlohmann::ordered_json parts = nlohmann::ordered_json::array();
    for (const auto& r : plan.rows)
        parts.push_back({{"topic", r.tp.topic},
                         {"partition", r.tp.partition},
                         {"current", r.current ? nlohmann::ordered_json(*r.current) : nlohmann::ordered_json()},
                         {"new", r.target},
                         {"reread", r.reread()}});
    nlohmann::ordered_json doc{{"group", plan.group}, {"executed", done == RewindDone::applied}, {"members", plan.members},
                               {"partitions", parts}};
    return doc.dump() + "\n";
}

}  // namespace kpipe
