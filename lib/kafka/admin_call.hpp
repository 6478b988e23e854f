// One asynchronous admin request over the librdkafka C API: a result queue plus
// options carrying --timeout, and a bounded wait for the typed result event.
#pragma once
#include <string>
#include <string_view>

#include "kafka/admin.hpp"
#include "kafka/handle.hpp"
#include "kafka/client.hpp"

namespace kpipe::kafka {

struct AdminCall {
    QueuePtr queue;
    AdminOptionsPtr options;
    int ms = 0;  // the request's timeout
};

// Queue and options for `op`, with the request (and where allowed, operation) timeout
// set: --timeout, or `ms` when given.
inline Result<AdminCall> prepare(Client& c, rd_kafka_admin_op_t op, int ms = 0) {
    if (ms <= 0) ms = static_cast<int>(c.settings().timeout.count());
    AdminCall call{QueuePtr(rd_kafka_queue_new(Handle::of(c))), AdminOptionsPtr(rd_kafka_AdminOptions_new(Handle::of(c), op)), ms};
    char errstr[256];
    if (rd_kafka_AdminOptions_set_request_timeout(call.options.get(), ms, errstr, sizeof errstr) ||
        (op != RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS && op != RD_KAFKA_ADMIN_OP_ALTERCONFIGS &&
         op != RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS && op != RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS &&
         op != RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS && op != RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS &&
         rd_kafka_AdminOptions_set_operation_timeout(call.options.get(), ms, errstr, sizeof errstr)))
        return fail(Exit::runtime, "admin options: {}", errstr);
    return call;
}

// The next result on the call's queue, of `type`; exit 4 when none arrives in time.
// Several requests may share one call's queue: wait once per request issued.
inline Result<EventPtr> wait_result(Client& c, AdminCall& call, rd_kafka_event_type_t type, std::string_view what) {
    EventPtr ev(rd_kafka_queue_poll(call.queue.get(), call.ms * 2 + 1000));
    if (!ev) return std::unexpected(c.connect_error(what));
    if (rd_kafka_event_type(ev.get()) != type)
        return fail(Exit::runtime, "{}: unexpected admin result type {}", what, rd_kafka_event_name(ev.get()));
    if (auto err = rd_kafka_event_error(ev.get())) {
        std::string msg = rd_kafka_event_error_string(ev.get());
        if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__TRANSPORT)
            return std::unexpected(c.connect_error(what));
        return fail(exit_for(err), "{}: {}", what, msg);
    }
    return ev;
}

}  // namespace kpipe::kafka
