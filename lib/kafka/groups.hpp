// Consumer groups over the librdkafka admin API: list them, describe them (state,
// members and what each member is assigned), read their committed offsets, and put
// it all together with end offsets and record times into one lag observation.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kafka/admin.hpp"
#include "kafka/client.hpp"
#include "lag.hpp"

namespace kpipe::kafka {

struct GroupListing {
    std::string group;
    std::string state;  // Stable, Empty, PreparingRebalance, CompletingRebalance, Dead, Unknown
    bool simple = false;  // offsets committed without the group protocol (assign + commit)
};

struct GroupMember {
    std::string client_id;
    std::string host;
    std::string consumer_id;
    std::vector<TopicPartition> assignment;
};

struct GroupDescription {
    std::string group;
    std::string state;
    bool exists = true;  // false: the coordinator does not know the group (or it is Dead)
    std::vector<GroupMember> members;
};

struct Committed {
    TopicPartition tp;
    int64_t offset = -1;
};

// Every consumer group of the cluster, sorted by name.
Result<std::vector<GroupListing>> list_groups(Client& c);

// State and members of each group, in the order asked (names must be distinct).
Result<std::vector<GroupDescription>> describe_groups(Client& c, const std::vector<std::string>& groups);

// Committed offsets of each group, in the order asked: only partitions with a commit.
// One request per group (the API takes one), several in flight at once.
Result<std::vector<std::vector<Committed>>> committed_offsets(Client& c, const std::vector<std::string>& groups);

// Sets the group's committed offsets of these partitions (the group must have no member).
Result<void> alter_committed_offsets(Client& c, const std::string& group,
                                     const std::vector<std::pair<TopicPartition, int64_t>>& offsets);

struct LagQuery {
    std::vector<std::string> groups;  // empty: every group of the cluster
    std::optional<std::string> topic;  // only this topic
    bool time_lag = true;              // read the record at each lagging committed offset
};

struct LagSnapshot {
    int64_t at_ms = 0;                 // when the end offsets were read
    std::vector<lag::Group> groups;    // in the order asked, or by name
    std::vector<std::string> missing;  // named groups the cluster does not know
    std::vector<std::string> nodes_down;  // see ClusterInfo::nodes_down
};

// One observation. Fails with exit 4 when the cluster is unreachable within --timeout and
// exit 5 when --topic names a topic that does not exist. Record times are read within
// --timeout; time lags are measured at `at_ms`, when the end offsets were read.
Result<LagSnapshot> observe_lag(Client& admin, const LagQuery& q);

}  // namespace kpipe::kafka
