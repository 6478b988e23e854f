// A Source of the records of one or more topics: it resolves topic names and regexes,
// picks partitions and start/end offsets (the offsets grammar), and reads in assign mode
// (no group, nothing committed) or group mode. With a group it stores the offset of a
// record only once the writer says the record is done, commits on an interval, on a
// rebalance and at the end, and carries on after the group took its partitions away.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cancel.hpp"
#include "duration.hpp"
#include "kafka/client.hpp"
#include "kafka/consumer.hpp"
#include "log_limiter.hpp"
#include "offsets.hpp"
#include "pipeline.hpp"

namespace kpipe {

struct TopicSourceOptions {
    std::vector<std::string> topics;  // names, or regexes starting with '^'
    std::optional<std::string> group;
    bool commit = true;
    Millis commit_interval{250};
    OffsetPlan plan;
    bool from_given = false;  // the plan says where to start (else default_start / the group's offsets)
    OffsetSpec default_start{OffsetSpec::Kind::beginning, 0};
    std::vector<int32_t> partitions;  // empty: all
    bool exit_at_end = false;         // stop at the end each partition had when reading started
    bool wait_for_topic = false;
    bool report_outages = false;  // say on stderr when the brokers go away and come back
    std::map<TopicPartition, int64_t> resume;  // start these partitions here, whatever the plan says
    std::map<TopicPartition, int64_t> ends;    // and end them here (a resumed replay's window)
    Cancel cancel;
};

// The topics the names and regexes mean now, sorted; exit 5 for a name or regex that
// matches nothing. Internal topics match a regex only when it starts with ^__.
Result<std::vector<const kafka::TopicInfo*>> match_topics(const kafka::ClusterInfo& info,
                                                           const std::vector<std::string>& topics);
// Their partitions, all or only those listed (exit 5 for a listed one a topic lacks).
Result<std::vector<TopicPartition>> select_partitions(const std::vector<const kafka::TopicInfo*>& topics,
                                                      const std::vector<int32_t>& only);

class TopicSource : public Source {
public:
    static Result<std::unique_ptr<TopicSource>> open(const Settings& settings, TopicSourceOptions options,
                                                     Places& places);
    ~TopicSource() override;

    Result<Pull> pull(Item& out, int wait_ms) override;
    bool wants_done() const override;
    void done(const Position& p) override;
    Result<void> tick() override;
    Result<void> finish() override;
    bool endless() const override;
    std::vector<Lane> lanes() const override;
    std::optional<double> progress() const override;

    // Where each assigned partition started and ends (-1: no end), for a replay's checkpoint.
    struct Window {
        TopicPartition tp;
        int64_t start = -1;
        int64_t end = -1;
    };
    std::vector<Window> windows() const;

    struct Part;

private:
    TopicSource(const Settings& s, TopicSourceOptions o, Places& places, kafka::Client admin,
                kafka::Consumer consumer);
    Result<void> start(const std::vector<TopicPartition>& tps, bool grouped);
    Result<std::vector<kafka::StartAt>> plan_for(const std::vector<TopicPartition>& tps);
    Part& part(const TopicPartition& tp);
    Part* find(std::string_view topic, const char* name_ptr, int32_t partition);
    Result<void> complete_revoke();
    Result<void> store();
    void mark_done(Part& p);
    bool all_done() const;
    bool bounded() const;
    void check_positions();
    void wake_fetcher();
    Result<void> on_error();
    void on_committed();
    void note_outage(bool down);

    const Settings& s_;
    TopicSourceOptions o_;
    Places& places_;
    kafka::Client admin_;
    kafka::Consumer c_;
    kafka::Polled ev_;
    std::vector<std::unique_ptr<Part>> parts_;
    Part* last_ = nullptr;
    bool have_assignment_ = false;
    bool first_assignment_taken_ = false;  // group mode: the plan's start no longer applies
    bool end_after_this_ = false;          // the last item finished every partition
    std::vector<TopicPartition> revoking_;
    bool revoking_lost_ = false;
    bool revoke_pending_ = false;
    bool finished_ = false;
    uint64_t burst_ = 0;  // records since the queue was last empty
    std::chrono::steady_clock::time_point next_position_check_{};
    std::chrono::steady_clock::time_point down_since_{};
    bool down_ = false;
    bool probe_due_ = false;  // a connection was lost: is any broker still there?
    std::chrono::steady_clock::time_point next_reach_check_{};
    LogLimiter commit_log_;
};

}  // namespace kpipe
