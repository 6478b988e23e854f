#include "kafka/producer.hpp"
#include "kafka/handle.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <thread>


namespace kpipe::kafka {

namespace {

constexpr size_t reports_per_poll = 4096;

std::optional<std::string_view> bytes_of(const void* p, size_t n) {
    if (!p) return std::nullopt;
    return std::string_view(static_cast<const char*>(p), n);
}

// librdkafka tells a null field from an empty one by the pointer.
void* data_of(std::string_view s) { return const_cast<char*>(s.data() ? s.data() : ""); }

}  // namespace

Result<Producer> Producer::create(const Settings& settings, const Properties& defaults, const Properties& forced,
                                  Callbacks callbacks, Cancel cancel) {
    Properties required = forced;
    required["delivery.report.only.error"] = "false";  // acknowledgements are counted
    auto client = Client::create(settings, Role::producer, defaults, required,
                                 [](rd_kafka_conf_t* conf) { rd_kafka_conf_set_events(conf, RD_KAFKA_EVENT_DR); });
    if (!client) return std::unexpected(client.error());
    return Producer(std::move(*client), std::move(callbacks), cancel);
}

Producer::Producer(Client client, Callbacks callbacks, Cancel cancel)
    : client_(std::move(client)),
      callbacks_(std::move(callbacks)),
      cancel_(cancel),
      main_(rd_kafka_queue_get_main(Handle::of(client_))),
      max_queued_(number_property("queue.buffering.max.messages", 100000)),
      max_queued_bytes_(number_property("queue.buffering.max.kbytes", 1 << 20) * 1024),
      murmur2_(property("partitioner") == "murmur2_random") {}

Producer::~Producer() {
    // Callers flush; whatever is left is abandoned so that destruction never hangs.
    if (Handle::of(client_) && outstanding() > 0) rd_kafka_purge(Handle::of(client_), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    main_.reset();
    topics_.clear();
}

std::string Producer::property(const char* name) const {
    char buf[512];
    size_t size = sizeof buf;
    if (rd_kafka_conf_get(rd_kafka_conf(Handle::of(client_)), name, buf, &size) != RD_KAFKA_CONF_OK) return {};
    return buf;
}

uint64_t Producer::number_property(const char* name, uint64_t fallback) const {
    std::string text = property(name);
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc() && end == text.data() + text.size() ? v : fallback;
}

Producer::Topic& Producer::topic(std::string_view name) {
    for (auto& t : topics_)
        if (t.name == name) return t;
    std::string owned(name);
    TopicPtr handle(rd_kafka_topic_new(Handle::of(client_), owned.c_str(), nullptr));
    topics_.push_back({std::move(owned), std::move(handle), 0});
    return topics_.back();
}

Result<TopicInfo> Producer::topic_info(const std::string& name, Millis creation_wait) {
    auto cluster = client_.cluster();
    if (!cluster) return std::unexpected(cluster.error());
    Topic& entry = topic(name);
    if (const auto* t = cluster->find(name)) {
        entry.partitions = static_cast<int32_t>(t->partitions.size());
        return *t;
    }
    rd_kafka_topic_t* rkt = entry.handle.get();
    // The broker answers "unknown topic" while it creates one, so wait a little, unless
    // the client itself asked it not to create topics.
    if (property("allow.auto.create.topics") == "false") creation_wait = Millis(0);
    auto deadline = std::chrono::steady_clock::now() + creation_wait;
    for (;;) {
        const rd_kafka_metadata_t* md = nullptr;
        auto err = rd_kafka_metadata(Handle::of(client_), 0, rkt, &md, 1000);
        MetadataPtr holder(md);
        if (!err && md && md->topic_cnt == 1) {
            const auto& t = md->topics[0];
            if (t.err == RD_KAFKA_RESP_ERR_NO_ERROR && t.partition_cnt > 0) {
                entry.partitions = t.partition_cnt;
                return topic_info_of(t);
            }
            if (t.err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
                return fail(Exit::connect, "not authorized to access topic '{}'", name);
            if (t.err == RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION)
                return fail(Exit::usage, "invalid topic name '{}': {}", name, err_name(t.err));
        }
        if (std::chrono::steady_clock::now() >= deadline || cancel_.requested()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return fail(Exit::not_found,
                "topic '{}' does not exist and was not created (broker auto.create.topics.enable or client "
                "allow.auto.create.topics is off); create it with 'kpipe topics create {}'",
                name, name);
}

std::expected<void, Rejection> Producer::produce(const RecordView& r, uint64_t tag) {
    rd_kafka_topic_t* rkt = topic(r.topic).handle.get();
    if (!rkt)
        return std::unexpected(Rejection{fault_of(rd_kafka_last_error()),
                                         fmt::format("topic '{}': {}", r.topic, err_name(rd_kafka_last_error()))});
    for (;;) {
        rd_kafka_vu_t vus[8];
        size_t n = 0;
        auto add = [&](rd_kafka_vtype_t type) -> rd_kafka_vu_t& {
            vus[n].vtype = type;
            return vus[n++];
        };
        add(RD_KAFKA_VTYPE_RKT).u.rkt = rkt;
        add(RD_KAFKA_VTYPE_PARTITION).u.i32 = r.partition < 0 ? RD_KAFKA_PARTITION_UA : r.partition;
        add(RD_KAFKA_VTYPE_MSGFLAGS).u.i = RD_KAFKA_MSG_F_COPY;
        add(RD_KAFKA_VTYPE_OPAQUE).u.ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(tag));
        if (r.timestamp >= 0) add(RD_KAFKA_VTYPE_TIMESTAMP).u.i64 = r.timestamp;
        if (r.key) {
            auto& k = add(RD_KAFKA_VTYPE_KEY);
            k.u.mem.ptr = data_of(*r.key);
            k.u.mem.size = r.key->size();
        }
        if (r.value) {
            auto& v = add(RD_KAFKA_VTYPE_VALUE);
            v.u.mem.ptr = data_of(*r.value);
            v.u.mem.size = r.value->size();
        }
        HeadersPtr headers;
        if (!r.headers.empty()) {
            headers.reset(rd_kafka_headers_new(r.headers.size()));
            for (const auto& h : r.headers)
                rd_kafka_header_add(headers.get(), h.name.data(), static_cast<ssize_t>(h.name.size()),
                                    h.value ? data_of(*h.value) : nullptr,
                                    h.value ? static_cast<ssize_t>(h.value->size()) : 0);
            add(RD_KAFKA_VTYPE_HEADERS).u.headers = headers.get();
        }
        ErrorPtr error(rd_kafka_produceva(Handle::of(client_), vus, n));
        if (!error) {
            (void)headers.release();  // owned by the queued message now
            ++queued_;
            queued_bytes_ += (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
            return {};
        }
        auto code = rd_kafka_error_code(error.get());
        if (code != RD_KAFKA_RESP_ERR__QUEUE_FULL || cancel_.requested())
            return std::unexpected(Rejection{fault_of(code), rd_kafka_error_string(error.get())});
        poll(100);  // back-pressure: wait for deliveries to make room
    }
}

const std::vector<std::pair<size_t, Rejection>>& Producer::produce_batch(std::string_view name,
                                                                          std::span<const PlainRecord> records) {
    rejected_.clear();
    Topic& t = topic(name);
    auto one_by_one = [&](size_t i) {
        const auto& r = records[i];
        RecordView v{name, r.partition, -1, -1, TimestampType::none, r.key, r.value, {}};
        if (auto queued = produce(v, r.tag); !queued) rejected_.push_back({i, std::move(queued.error())});
    };
    if (!murmur2_ || t.partitions <= 0 || !t.handle) {
        for (size_t i = 0; i < records.size(); ++i) one_by_one(i);
        return rejected_;
    }
    uint64_t bytes = 0;
    for (const auto& r : records) bytes += (r.key ? r.key->size() : 0) + (r.value ? r.value->size() : 0);
    // Make room first: a batch that meets a full queue half way could not keep its order.
    while (outstanding() > 0 && (outstanding() + records.size() > max_queued_ ||
                                 queued_bytes_ - delivered_bytes_ - failed_bytes_ + bytes > max_queued_bytes_)) {
        if (cancel_.requested()) {
            for (size_t i = 0; i < records.size(); ++i)
                rejected_.push_back({i, {Fault::queue_full, "interrupted while waiting for room"}});
            return rejected_;
        }
        poll(100);
    }

    rd_kafka_topic_t* rkt = t.handle.get();
    auto count = static_cast<size_t>(t.partitions);
    if (by_partition_.size() < count) by_partition_.resize(count), index_of_.resize(count);
    int32_t sticky = -1;
    for (size_t i = 0; i < records.size(); ++i) {
        const auto& r = records[i];
        int32_t p = r.partition;
        if (p < 0 && r.key) p = rd_kafka_msg_partitioner_murmur2(rkt, data_of(*r.key), r.key->size(), t.partitions, nullptr, nullptr);
        if (p < 0) {
            if (sticky < 0) sticky = rd_kafka_msg_partitioner_random(rkt, nullptr, 0, t.partitions, nullptr, nullptr);
            p = sticky;
        }
        if (static_cast<size_t>(p) >= count) {  // librdkafka tells why
            one_by_one(i);
            continue;
        }
        rd_kafka_message_t m{};
        if (r.key) m.key = data_of(*r.key), m.key_len = r.key->size();
        if (r.value) m.payload = data_of(*r.value), m.len = r.value->size();
        m._private = reinterpret_cast<void*>(static_cast<uintptr_t>(r.tag));
        by_partition_[static_cast<size_t>(p)].push_back(m);
        index_of_[static_cast<size_t>(p)].push_back(i);
    }
    for (size_t p = 0; p < count; ++p) {
        auto& msgs = by_partition_[p];
        if (msgs.empty()) continue;
        int n = rd_kafka_produce_batch(rkt, static_cast<int32_t>(p), RD_KAFKA_MSG_F_COPY, msgs.data(),
                                       static_cast<int>(msgs.size()));
        queued_ += static_cast<uint64_t>(n);
        for (size_t j = 0; static_cast<size_t>(n) != msgs.size() && j < msgs.size(); ++j) {
            if (!msgs[j].err) {
                queued_bytes_ += msgs[j].key_len + msgs[j].len;
                continue;
            }
            size_t i = index_of_[p][j];
            if (msgs[j].err == RD_KAFKA_RESP_ERR__QUEUE_FULL) one_by_one(i);  // tiny queue limits only
            else rejected_.push_back({i, {fault_of(msgs[j].err), rd_kafka_err2str(msgs[j].err)}});
        }
        if (static_cast<size_t>(n) == msgs.size())
            for (const auto& m : msgs) queued_bytes_ += m.key_len + m.len;
        msgs.clear();
        index_of_[p].clear();
    }
    std::sort(rejected_.begin(), rejected_.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    return rejected_;
}

void Producer::report(const rd_kafka_message_t* m) {
    auto tag = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(m->_private));
    if (!m->err) {
        ++delivered_;
        delivered_bytes_ += m->key_len + m->len;
        if (callbacks_.acked) callbacks_.acked(tag);
        return;
    }
    ++failed_;
    failed_bytes_ += m->key_len + m->len;
    if (!callbacks_.failed) return;
    Delivery d;
    d.tag = tag;
    d.fault = fault_of(m->err);
    d.reason = rd_kafka_err2str(m->err);
    d.possibly_persisted = rd_kafka_message_status(m) == RD_KAFKA_MSG_STATUS_POSSIBLY_PERSISTED;
    rd_kafka_timestamp_type_t tstype = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    d.record.topic = m->rkt ? rd_kafka_topic_name(m->rkt) : std::string_view{};
    d.record.partition = m->partition;
    d.record.timestamp = tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts;
    d.record.timestamp_type = tstype == RD_KAFKA_TIMESTAMP_CREATE_TIME ? TimestampType::create : TimestampType::none;
    d.record.key = bytes_of(m->key, m->key_len);
    d.record.value = bytes_of(m->payload, m->len);
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
            d.record.headers.push_back({name, bytes_of(value, size)});
    }
    callbacks_.failed(d);
}

size_t Producer::poll(int timeout_ms) {
    size_t served = 0;
    const rd_kafka_message_t* batch[256];
    int wait = timeout_ms;
    while (served < reports_per_poll) {
        EventPtr ev(rd_kafka_queue_poll(main_.get(), wait));
        if (!ev) break;
        wait = 0;
        if (rd_kafka_event_type(ev.get()) != RD_KAFKA_EVENT_DR) continue;
        size_t n = 0;
        while ((n = rd_kafka_event_message_array(ev.get(), batch, std::size(batch))) > 0) {
            for (size_t i = 0; i < n; ++i) report(batch[i]);
            served += n;
        }
    }
    return served;
}

uint64_t Producer::flush(Millis timeout, bool stop_on_cancel) {
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + timeout;
    while (outstanding() > 0) {
        if (stop_on_cancel && cancel_.requested()) break;
        auto left = std::chrono::duration_cast<Millis>(deadline - clock::now()).count();
        if (left <= 0) break;
        // While rd_kafka_flush() runs, librdkafka sends at once instead of lingering; in
        // event mode it only waits, so the reports are served here.
        rd_kafka_flush(Handle::of(client_), static_cast<int>(std::min<long long>(left, 10)));
        while (poll(0) > 0) {
        }
    }
    return outstanding();
}

void Producer::purge(Millis timeout) {
    if (outstanding() == 0) return;
    rd_kafka_purge(Handle::of(client_), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    flush(timeout, false);
}

}  // namespace kpipe::kafka
