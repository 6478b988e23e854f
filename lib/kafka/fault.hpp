// What went wrong, in kpipe's words. librdkafka's error codes are turned into these here,
// once; nothing outside lib/kafka names an RD_KAFKA_* code.
#pragma once
#include <librdkafka/rdkafka.h>

#include "error.hpp"

namespace kpipe::kafka {

enum class Fault {
    none,
    queue_full,        // the client's send queue is full
    fatal,             // the client cannot go on (e.g. the idempotent producer lost its sequence)
    too_large,         // larger than the broker or topic allows
    purged_queued,     // abandoned before it was sent
    purged_in_flight,  // abandoned while in flight (the broker may have written it)
    timed_out,         // not delivered within the delivery timeout
    unknown_topic,     // no such topic or partition
    not_allowed,       // authentication or authorization failed
    already_exists,    // e.g. a topic of that name
    invalid,           // the broker refused the request as invalid
    unreachable,       // no connection to the brokers
    state,             // not possible in the client's current state (e.g. partition not assigned)
    no_offset,         // nothing to commit
    other,
};

Fault fault_of(rd_kafka_resp_err_t err);
// The exit code a failure of this kind gives (README "Exit codes").
Exit exit_for(Fault f);
inline Exit exit_for(rd_kafka_resp_err_t err) { return exit_for(fault_of(err)); }

}  // namespace kpipe::kafka
