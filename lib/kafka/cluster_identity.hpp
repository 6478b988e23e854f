// Who the cluster is: its id and controller, for `kpipe config check`.
#pragma once
#include <cstdint>
#include <string>

#include "kafka/client.hpp"

namespace kpipe::kafka {

struct ClusterIdentity {
    std::string id;  // "" when the broker gave none
    int32_t controller = -1;
};

ClusterIdentity cluster_identity(Client& c);

}  // namespace kpipe::kafka
