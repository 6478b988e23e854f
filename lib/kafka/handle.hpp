// The librdkafka handle behind a Client, for the code in lib/kafka only: everything
// else goes through lib/kafka's own types.
#pragma once
#include "kafka/client.hpp"

namespace kpipe::kafka {

struct Handle {
    static rd_kafka_t* of(const Client& c) { return c.rk_.get(); }
};

}  // namespace kpipe::kafka
