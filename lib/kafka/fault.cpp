#include "kafka/fault.hpp"

namespace kpipe::kafka {

Fault fault_of(rd_kafka_resp_err_t err) {
    switch (err) {
        case RD_KAFKA_RESP_ERR_NO_ERROR: return Fault::none;
        case RD_KAFKA_RESP_ERR__QUEUE_FULL: return Fault::queue_full;
        case RD_KAFKA_RESP_ERR__FATAL: return Fault::fatal;
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE: return Fault::too_large;
        case RD_KAFKA_RESP_ERR__PURGE_QUEUE: return Fault::purged_queued;
        case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT: return Fault::purged_in_flight;
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT: return Fault::timed_out;
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
        case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND: return Fault::unknown_topic;
        case RD_KAFKA_RESP_ERR__AUTHENTICATION:
        case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED: return Fault::not_allowed;
        case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS: return Fault::already_exists;
        case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
        case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
        case RD_KAFKA_RESP_ERR_INVALID_REPLICA_ASSIGNMENT:
        case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
        case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
        case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
        case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
        case RD_KAFKA_RESP_ERR__INVALID_ARG: return Fault::invalid;
        case RD_KAFKA_RESP_ERR__TRANSPORT:
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
        case RD_KAFKA_RESP_ERR__TIMED_OUT: return Fault::unreachable;
        case RD_KAFKA_RESP_ERR__STATE: return Fault::state;
        case RD_KAFKA_RESP_ERR__NO_OFFSET: return Fault::no_offset;
        default: return Fault::other;
    }
}

Exit exit_for(Fault f) {
    switch (f) {
        case Fault::none:
        case Fault::no_offset: return Exit::ok;
        case Fault::unknown_topic: return Exit::not_found;
        case Fault::not_allowed:
        case Fault::unreachable: return Exit::connect;
        case Fault::invalid: return Exit::usage;
        case Fault::too_large:
        case Fault::purged_queued:
        case Fault::purged_in_flight:
        case Fault::timed_out: return Exit::data;
        default: return Exit::runtime;
    }
}

}  // namespace kpipe::kafka
