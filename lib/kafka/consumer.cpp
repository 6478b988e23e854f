#include "kafka/consumer.hpp"
#include "kafka/handle.hpp"

#include <unistd.h>

#include <chrono>
#include <cstring>

namespace kpipe::kafka {

namespace {

PartitionListPtr to_list(const std::vector<TopicPartition>& tps) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(tps.size())));
    for (const auto& tp : tps) rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
    return list;
}

PartitionListPtr to_list(const std::vector<StartAt>& starts) {
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(starts.size())));
    for (const auto& s : starts)
        rd_kafka_topic_partition_list_add(list.get(), s.tp.topic.c_str(), s.tp.partition)->offset =
            s.offset.value_or(RD_KAFKA_OFFSET_INVALID);
    return list;
}

std::vector<TopicPartition> from_list(const rd_kafka_topic_partition_list_t* list) {
    std::vector<TopicPartition> out;
    if (!list) return out;
    for (int i = 0; i < list->cnt; ++i) out.push_back({list->elems[i].topic, list->elems[i].partition});
    return out;
}

Result<void> check(rd_kafka_resp_err_t err, std::string_view what) {
    if (!err) return {};
    return fail(exit_for(err), "{}: {}", what, err_name(err));
}

void committed_event(rd_kafka_event_t* ev, Polled& out) {
    out.kind = Polled::Kind::committed;
    out.fault = fault_of(rd_kafka_event_error(ev));
    const char* why = out.fault == Fault::none ? nullptr : rd_kafka_event_error_string(ev);
    out.message = why ? why : "";
    out.partitions.clear();
    out.offsets.clear();
    if (const auto* list = rd_kafka_event_topic_partition_list(ev)) {
        for (int i = 0; i < list->cnt; ++i) {
            const auto& e = list->elems[i];
            out.partitions.push_back({e.topic, e.partition});
            out.offsets.push_back(e.err ? -1 : e.offset);
        }
    }
}

Result<void> check(rd_kafka_error_t* error, std::string_view what) {
    ErrorPtr e(error);
    if (!e) return {};
    return fail(exit_for(rd_kafka_error_code(e.get())), "{}: {}", what, rd_kafka_error_string(e.get()));
}

}  // namespace

Result<Consumer> Consumer::create(const Settings& settings, const ConsumerOptions& options) {
    Properties forced{{"enable.partition.eof", "true"}, {"enable.auto.offset.store", "false"}};
    Properties defaults = options.defaults;
    if (options.group) {
        forced["group.id"] = *options.group;
        forced["enable.auto.commit"] = options.commit ? "true" : "false";
        defaults.emplace("auto.offset.reset", "earliest");
    } else {
        // librdkafka wants a group.id even for assign(); this one never joins or commits.
        forced["enable.auto.commit"] = "false";
        defaults.emplace("auto.offset.reset", "earliest");
        defaults.emplace("group.id", fmt::format("kpipe-assign-{}-{}", getpid(), rd_kafka_version()));
    }
    auto hook = [](rd_kafka_conf_t* conf) {
        rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_REBALANCE | RD_KAFKA_EVENT_OFFSET_COMMIT);
    };
    auto client = Client::create(settings, Role::consumer, defaults, forced, hook);
    if (!client) return std::unexpected(client.error());
    rd_kafka_poll_set_consumer(Handle::of(*client));
    QueuePtr q(rd_kafka_queue_get_consumer(Handle::of(*client)));
    return Consumer(std::move(*client), std::move(q), options);
}

Consumer::~Consumer() {
    if (Handle::of(client_) && !closed_) (void)close();
}

bool Consumer::cooperative() const {
    const char* p = rd_kafka_rebalance_protocol(Handle::of(client_));
    return p && std::strcmp(p, "COOPERATIVE") == 0;
}

Result<void> Consumer::assign(const std::vector<StartAt>& starts) {
    auto list = to_list(starts);
    return check(rd_kafka_assign(Handle::of(client_), list.get()), "assign partitions");
}

Result<void> Consumer::subscribe(const std::vector<std::string>& topics) {
    auto list = PartitionListPtr(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
    for (const auto& t : topics) rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
    return check(rd_kafka_subscribe(Handle::of(client_), list.get()), "subscribe");
}

Result<void> Consumer::accept(const std::vector<StartAt>& starts) {
    auto list = to_list(starts);
    if (cooperative()) return check(rd_kafka_incremental_assign(Handle::of(client_), list.get()), "assign partitions");
    return check(rd_kafka_assign(Handle::of(client_), list.get()), "assign partitions");
}

Result<void> Consumer::release(const std::vector<TopicPartition>& tps) {
    if (cooperative()) {
        auto list = to_list(tps);
        return check(rd_kafka_incremental_unassign(Handle::of(client_), list.get()), "unassign partitions");
    }
    return check(rd_kafka_assign(Handle::of(client_), nullptr), "unassign partitions");
}

void Consumer::poll(Polled& out, int timeout_ms) {
    current_.reset();
    out.kind = Polled::Kind::none;
    EventPtr ev(rd_kafka_queue_poll(queue_.get(), timeout_ms));
    if (!ev) return;
    switch (rd_kafka_event_type(ev.get())) {
        case RD_KAFKA_EVENT_FETCH: {
            const rd_kafka_message_t* m = rd_kafka_event_message_next(ev.get());
            if (!m) return;
            out.tp.partition = m->partition;
            if (m->err) {
                out.tp.topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
                out.offset = m->offset;
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                    out.kind = Polled::Kind::end_of_partition;
                } else {
                    out.kind = Polled::Kind::error;
                    out.fault = fault_of(m->err);
                    out.fatal = false;
                    out.message = rd_kafka_message_errstr(m);
                }
                return;
            }
            auto& r = out.record;
            r.topic = rd_kafka_topic_name(m->rkt);
            r.partition = m->partition;
            r.offset = m->offset;
            rd_kafka_timestamp_type_t tstype;
            r.timestamp = rd_kafka_message_timestamp(m, &tstype);
            r.timestamp_type = tstype == RD_KAFKA_TIMESTAMP_CREATE_TIME       ? TimestampType::create
                               : tstype == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? TimestampType::log_append
                                                                              : TimestampType::none;
            if (m->key) r.key.emplace(static_cast<const char*>(m->key), m->key_len);
            else r.key.reset();
            if (m->payload) r.value.emplace(static_cast<const char*>(m->payload), m->len);
            else r.value.reset();
            r.headers.clear();
            rd_kafka_headers_t* hdrs = nullptr;
            if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
                const char* name;
                const void* value;
                size_t size;
                for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &value, &size); ++i) {
                    HeaderView h{name, std::nullopt};
                    if (value) h.value.emplace(static_cast<const char*>(value), size);
                    r.headers.push_back(h);
                }
            }
            out.kind = Polled::Kind::record;
            current_ = std::move(ev);
            return;
        }
        case RD_KAFKA_EVENT_REBALANCE: {
            auto err = rd_kafka_event_error(ev.get());
            out.partitions = from_list(rd_kafka_event_topic_partition_list(ev.get()));
            if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                out.kind = Polled::Kind::assigned;
            } else {
                out.kind = Polled::Kind::revoked;
                out.lost = rd_kafka_assignment_lost(Handle::of(client_)) != 0;
            }
            return;
        }
        case RD_KAFKA_EVENT_OFFSET_COMMIT: committed_event(ev.get(), out); return;
        case RD_KAFKA_EVENT_ERROR: {
            out.kind = Polled::Kind::error;
            auto err = rd_kafka_event_error(ev.get());
            out.fatal = rd_kafka_event_error_is_fatal(ev.get()) != 0;
            const char* s = rd_kafka_event_error_string(ev.get());
            out.message = s ? s : err_name(err);
            if (out.fatal) {
                char buf[512];
                err = rd_kafka_fatal_error(Handle::of(client_), buf, sizeof buf);
                out.message = buf;
            }
            out.fault = fault_of(err);
            if (out.fault == Fault::not_allowed && client_.token_refresh_can_wait(out.message)) out.fault = Fault::none;
            out.tp = {};
            if (rd_kafka_topic_partition_t* tp = rd_kafka_event_topic_partition(ev.get())) {
                out.tp = {tp->topic, tp->partition};
                if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                    out.kind = Polled::Kind::end_of_partition;
                    out.offset = tp->offset;
                }
                rd_kafka_topic_partition_destroy(tp);
            }
            return;
        }
        default: return;
    }
}

std::vector<int64_t> Consumer::positions(const std::vector<TopicPartition>& tps) {
    auto list = to_list(tps);
    std::vector<int64_t> out(tps.size(), -1);
    if (rd_kafka_position(Handle::of(client_), list.get())) return out;
    for (int i = 0; i < list->cnt; ++i)
        if (!list->elems[i].err && list->elems[i].offset >= 0) out[static_cast<size_t>(i)] = list->elems[i].offset;
    return out;
}

void Consumer::pause(const std::vector<TopicPartition>& tps) {
    auto list = to_list(tps);
    rd_kafka_pause_partitions(Handle::of(client_), list.get());
}

void Consumer::wake_fetcher(const std::vector<TopicPartition>& tps) {
    if (tps.empty()) return;
    auto list = to_list(tps);
    for (int i = 0; i < list->cnt; ++i) list->elems[i].offset = RD_KAFKA_OFFSET_END;
    (void)rd_kafka_offsets_for_times(Handle::of(client_), list.get(), 1000);  // the answer is not needed
}

Result<void> Consumer::store(const std::vector<std::pair<TopicPartition, int64_t>>& next_offsets) {
    if (!grouped() || next_offsets.empty()) return {};
    PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(next_offsets.size())));
    for (const auto& [tp, off] : next_offsets)
        rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = off;
    auto err = rd_kafka_offsets_store(Handle::of(client_), list.get());
    // A partition revoked meanwhile reports _STATE: nothing to store for it any more.
    if (err && err != RD_KAFKA_RESP_ERR__STATE && err != RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION)
        return check(err, "store offsets");
    return {};
}

Result<void> Consumer::commit() {
    if (!grouped() || !options_.commit) return {};
    auto err = rd_kafka_commit(Handle::of(client_), nullptr, 0);
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) return {};
    return check(err, fmt::format("commit offsets of group '{}'", *options_.group));
}

bool Consumer::reachable(Millis timeout) {
    const rd_kafka_metadata_t* md = nullptr;
    auto err = rd_kafka_metadata(Handle::of(client_), 0, nullptr, &md, static_cast<int>(timeout.count()));
    MetadataPtr holder(md);
    return err == RD_KAFKA_RESP_ERR_NO_ERROR;
}

Result<void> Consumer::close() {
    if (closed_ || !Handle::of(client_)) return {};
    closed_ = true;
    current_.reset();
    if (!grouped()) {
        rd_kafka_assign(Handle::of(client_), nullptr);
        return check(rd_kafka_consumer_close(Handle::of(client_)), "close consumer");
    }
    // Leave the group: serve the final revoke from the queue until the consumer is closed,
    // for at most --timeout: a broker that went away must not keep kpipe from exiting.
    if (auto r = check(rd_kafka_consumer_close_queue(Handle::of(client_), queue_.get()), "close consumer"); !r) return r;
    const auto deadline = std::chrono::steady_clock::now() + client_.settings().timeout;
    while (!rd_kafka_consumer_closed(Handle::of(client_))) {
        if (std::chrono::steady_clock::now() >= deadline)
            return fail(Exit::connect, "leaving consumer group '{}': no answer from {} within {} ms", *options_.group,
                        client_.settings().brokers(), client_.settings().timeout.count());
        EventPtr ev(rd_kafka_queue_poll(queue_.get(), 100));
        if (!ev || rd_kafka_event_type(ev.get()) != RD_KAFKA_EVENT_REBALANCE) continue;
        if (cooperative())
            (void)check(rd_kafka_incremental_unassign(Handle::of(client_), rd_kafka_event_topic_partition_list(ev.get())), "");
        else
            rd_kafka_assign(Handle::of(client_), nullptr);
    }
    return {};
}

}  // namespace kpipe::kafka
