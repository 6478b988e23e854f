#include "kafka/cluster_identity.hpp"

#include "kafka/handle.hpp"

namespace kpipe::kafka {

ClusterIdentity cluster_identity(Client& c) {
    rd_kafka_t* rk = Handle::of(c);
    int timeout = static_cast<int>(c.settings().timeout.count());
    ClusterIdentity out;
    if (char* id = rd_kafka_clusterid(rk, timeout)) {
        out.id = id;
        rd_kafka_mem_free(rk, id);
    }
    out.controller = rd_kafka_controllerid(rk, timeout);
    return out;
}

}  // namespace kpipe::kafka
