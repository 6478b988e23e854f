#include "consume_loop.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <regex>
#include <thread>

#include "kafka/admin.hpp"
#include "kafka/consumer.hpp"
#include "signals.hpp"

namespace kpipe {

namespace {

using clock = std::chrono::steady_clock;
using kafka::TopicPartition;

kafka::Properties prefetch_caps() {
    return {
        {"queued.max.messages.kbytes", "4096"},  // the whole consumer queue, not per partition
        {"fetch.max.bytes", "4194304"},
        {"max.partition.fetch.bytes", "1048576"},
        {"fetch.wait.max.ms", "100"},
    };
}

bool is_regex(const std::string& t) { return t.starts_with('^'); }

// Names the topics mean now; exit 5 for one that does not exist.
Result<std::vector<const kafka::TopicInfo*>> match_topics(const kafka::ClusterInfo& info,
                                                           const std::vector<std::string>& topics) {
    std::vector<const kafka::TopicInfo*> out;
    for (const auto& t : topics) {
        if (!is_regex(t)) {
            const auto* ti = info.find(t);
            if (!ti) return fail(Exit::not_found, "topic '{}' does not exist (--wait-for-topic to wait for it)", t);
            out.push_back(ti);
            continue;
        }
        std::regex re;
        try {
            re = std::regex(t, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            return fail(Exit::usage, "invalid topic regex '{}': {}", t, e.what());
        }
        bool any = false;
        for (const auto& ti : info.topics) {
            if (ti.internal() && !t.starts_with("^__")) continue;
            if (!std::regex_search(ti.name, re)) continue;
            out.push_back(&ti);
            any = true;
        }
        if (!any) return fail(Exit::not_found, "no topic matches '{}' (--wait-for-topic to wait for one)", t);
    }
    std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->name < b->name; });
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

struct Part {
    TopicPartition tp;
    const char* name_ptr = nullptr;  // librdkafka's topic name, for fast lookup
    int64_t end = -1;                // exclusive; -1: none
    bool assigned = false;
    bool done = false;
    bool dirty = false;    // `pending` not stored yet
    int64_t pending = -1;  // next offset after the last record handled
};

class Loop {
public:
    Loop(const Settings& s, const ConsumeRequest& r, RecordSink& sink, Output& out, kafka::Client& admin,
         kafka::Consumer& consumer)
        : s_(s), r_(r), sink_(sink), out_(out), admin_(admin), c_(consumer) {}

    Result<void> start(const std::vector<TopicPartition>& tps, bool grouped);
    Result<ConsumeOutcome> run();

private:
    enum class Stop { none, done, closed, interrupted, failed };
    Part* find(std::string_view topic, const char* name_ptr, int32_t partition);
    Part& part(const TopicPartition& tp);
    Result<std::vector<kafka::StartAt>> plan_for(const std::vector<TopicPartition>& tps);
    Result<Stop> flush();
    Result<void> store();
    void mark_done(Part& p);
    bool all_done() const;
    bool bounded() const;
    void check_positions();
    void wake_fetcher();
    Result<Stop> on_record(const RecordView& rec);
    Result<Stop> on_revoked(const std::vector<TopicPartition>& tps);
    Result<void> on_error(const kafka::Polled& ev);

    const Settings& s_;
    const ConsumeRequest& r_;
    RecordSink& sink_;
    Output& out_;
    kafka::Client& admin_;
    kafka::Consumer& c_;
    std::vector<std::unique_ptr<Part>> parts_;
    Part* last_ = nullptr;
    bool have_assignment_ = false;
    bool first_assignment_taken_ = false;  // group mode: --from no longer applies
    uint64_t written_ = 0;
    std::string failure_;  // Stop::failed: why
};

Part& Loop::part(const TopicPartition& tp) {
    for (auto& p : parts_)
        if (p->tp == tp) return *p;
    parts_.push_back(std::make_unique<Part>());
    parts_.back()->tp = tp;
    return *parts_.back();
}

Part* Loop::find(std::string_view topic, const char* name_ptr, int32_t partition) {
    if (name_ptr && last_ && last_->name_ptr == name_ptr && last_->tp.partition == partition) return last_;
    for (auto& p : parts_) {
        if (p->tp.partition != partition) continue;
        if (!name_ptr || p->name_ptr != name_ptr) {
            if (p->tp.topic != topic) continue;
            if (name_ptr) p->name_ptr = name_ptr;
        }
        return last_ = p.get();
    }
    return nullptr;
}

// With a group, --from says where this run starts: it applies to the partitions of the
// first assignment only. Partitions assigned later (after a rebalance, including ones
// another member was reading) continue from the group's committed offset, so a rebalance
// neither re-reads (--from beginning) nor skips and commits past records (--from end/@TIME).
Result<std::vector<kafka::StartAt>> Loop::plan_for(const std::vector<TopicPartition>& tps) {
    OffsetSpec start = r_.default_start;
    if (r_.group && !r_.from_given) start = {OffsetSpec::Kind::stored, 0};
    const OffsetPlan* plan = &r_.plan;
    OffsetPlan later;
    if (r_.group && first_assignment_taken_) {
        start = {OffsetSpec::Kind::stored, 0};
        later = r_.plan;  // keeps the ends (--until, FROM:TO)
        later.all.from = start;
        for (auto& [p, range] : later.partitions) range.from = start;
        plan = &later;
    }
    auto bounds = resolve_plan(admin_, *plan, tps, start);
    if (!bounds) return std::unexpected(bounds.error());
    std::vector<kafka::StartAt> starts;
    for (size_t i = 0; i < tps.size(); ++i) {
        Part& p = part(tps[i]);
        const Bounds& b = (*bounds)[i];
        if (!p.assigned && p.end < 0 && !p.done) {
            // Targets are taken once, when a partition is first read.
            if (b.end) p.end = *b.end;
            if (r_.exit_at_end) p.end = p.end < 0 ? b.high : std::min(p.end, b.high);
        }
        p.assigned = true;
        if (p.end >= 0 && b.start && *b.start >= p.end) p.done = true;
        starts.push_back({tps[i], b.start});
    }
    return starts;
}

// Assign mode (`grouped` false) starts all partitions at once; group mode accepts what
// the group handed over. Either way, partitions already at their end are paused.
Result<void> Loop::start(const std::vector<TopicPartition>& tps, bool grouped) {
    auto starts = plan_for(tps);
    if (!starts) return std::unexpected(starts.error());
    have_assignment_ = true;
    first_assignment_taken_ = true;
    if (grouped && s_.verbosity >= 1) {
        std::string list;
        for (const auto& tp : tps) list += fmt::format("{}{} [{}]", list.empty() ? "" : ", ", tp.topic, tp.partition);
        fmt::print(stderr, "kpipe: group '{}' assigned {} partition(s){}{}\n", *r_.group, tps.size(),
                   tps.empty() ? "" : ": ", list);
    }
    if (auto a = grouped ? c_.accept(*starts) : c_.assign(*starts); !a) return a;
    std::vector<TopicPartition> finished;
    for (const auto& tp : tps)
        if (part(tp).done) finished.push_back(tp);
    if (!finished.empty()) c_.pause(finished);
    return {};
}

Result<Loop::Stop> Loop::on_revoked(const std::vector<TopicPartition>& tps) {
    // Write out and commit what was read before giving the partitions up.
    auto f = flush();
    if (!f) return f;
    if (auto cm = c_.commit(); !cm) return std::unexpected(cm.error());

    for (const auto& tp : tps) {
        Part& p = part(tp);
        p.assigned = false;
        p.dirty = false;
    }
    if (s_.verbosity >= 1) fmt::print(stderr, "kpipe: group '{}' revoked {} partition(s)\n", *r_.group, tps.size());
    if (auto rl = c_.release(tps); !rl) return std::unexpected(rl.error());
    last_ = nullptr;
    return *f;
}

Result<void> Loop::store() {
    if (!r_.group) return {};
    std::vector<std::pair<TopicPartition, int64_t>> offs;
    for (auto& p : parts_) {
        if (!p->dirty) continue;
        p->dirty = false;
        if (p->assigned) offs.emplace_back(p->tp, p->pending);
    }
    return c_.store(offs);
}

Result<Loop::Stop> Loop::flush() {
    auto st = out_.flush();
    if (!st) return std::unexpected(st.error());
    switch (*st) {
        case Output::State::open: {
            sink_.flushed();
            auto stored = store();
            if (!stored) return std::unexpected(stored.error());
            return Stop::none;
        }
        case Output::State::closed: return Stop::closed;
        case Output::State::interrupted: return Stop::interrupted;
    }
    return Stop::none;
}

void Loop::mark_done(Part& p) {
    if (p.done) return;
    p.done = true;
    c_.pause({p.tp});
}

bool Loop::all_done() const {
    if (!have_assignment_) return false;
    for (const auto& p : parts_)
        if (p->assigned && !p->done) return false;
    return true;
}

// Whether the run has an end: every partition it reads has one (--until, FROM:TO), known
// once partitions are assigned.
bool Loop::bounded() const {
    if (r_.plan.bounded()) return true;
    std::vector<int32_t> ps;
    for (const auto& p : parts_)
        if (p->assigned) ps.push_back(p->tp.partition);
    return r_.plan.bounded(ps);
}

void Loop::check_positions() {
    std::vector<TopicPartition> tps;
    std::vector<Part*> which;
    for (auto& p : parts_)
        if (p->assigned && !p->done && p->end >= 0) tps.push_back(p->tp), which.push_back(p.get());
    if (tps.empty()) return;
    auto pos = c_.positions(tps);
    for (size_t i = 0; i < tps.size(); ++i)
        if (pos[i] >= 0 && pos[i] >= which[i]->end) mark_done(*which[i]);
}

void Loop::wake_fetcher() {
    std::vector<TopicPartition> live;
    for (auto& p : parts_)
        if (p->assigned && !p->done) live.push_back(p->tp);
    c_.wake_fetcher(live);
}

Result<Loop::Stop> Loop::on_record(const RecordView& rec) {
    Part* p = find(rec.topic, rec.topic.data(), rec.partition);
    if (!p || !p->assigned || p->done) return Stop::none;
    if (p->end >= 0 && rec.offset >= p->end) {
        mark_done(*p);
        return all_done() ? Stop::done : Stop::none;
    }
    bool kept = sink_.append(rec, out_.buffer());
    if (!kept) {
        // A record that could not be handled stops the run: nothing at or after it is
        // stored, so the commit never passes a record that was not written.
        if (std::string e = sink_.take_error(); !e.empty()) {
            failure_ = std::move(e);
            return Stop::failed;
        }
    }
    p->pending = rec.offset + 1;
    p->dirty = true;
    if (kept) ++written_;
    if (p->end >= 0 && rec.offset + 1 >= p->end) mark_done(*p);
    bool enough = r_.count >= 0 && written_ >= static_cast<uint64_t>(r_.count);
    if (out_.should_flush() || enough) {
        auto f = flush();
        if (!f || *f != Stop::none) return f;
    }
    if (enough) return Stop::done;
    return all_done() ? Stop::done : Stop::none;
}

Result<void> Loop::on_error(const kafka::Polled& ev) {
    if (ev.fatal) return fail(Exit::runtime, "fatal Kafka error: {}", ev.message);
    switch (ev.err) {
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
        case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
            if (r_.wait_for_topic) break;
            return fail(Exit::not_found, "{}{}", ev.tp.topic.empty() ? "" : fmt::format("topic '{}': ", ev.tp.topic),
                        ev.message);
        case RD_KAFKA_RESP_ERR__AUTHENTICATION:
        case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
            return fail(Exit::connect, "not allowed at {}: {}", s_.brokers(), ev.message);
        default: break;
    }
    if (s_.verbosity >= 1) fmt::print(stderr, "kpipe: {}\n", ev.message);
    return {};
}

Result<ConsumeOutcome> Loop::run() {
    kafka::Polled ev;
    auto last_record = clock::now();
    auto next_tick = clock::now() + std::chrono::seconds(1);
    auto next_position_check = clock::now();
    int timeout = 0;
    uint64_t polls = 0;
    uint64_t burst = 0;  // records since the queue was last empty
    auto now = clock::now();
    Stop stop = Stop::none;
    auto endless = [&] { return !r_.exit_at_end && r_.count < 0 && !bounded(); };
    if (r_.count == 0) stop = Stop::done;  // -n 0: nothing to read
    while (stop == Stop::none) {
        if (SignalGuard::interrupted()) {
            stop = Stop::interrupted;
            break;
        }
        c_.poll(ev, timeout);
        // Reading the clock per record costs more than the record: look every 256 records.
        if (ev.kind != kafka::Polled::Kind::record || (++polls & 255) == 0) now = clock::now();
        if (now >= next_tick) {
            sink_.tick(false);
            next_tick = now + std::chrono::seconds(1);
        }
        using K = kafka::Polled::Kind;
        Result<Stop> step = Stop::none;
        switch (ev.kind) {
            case K::record:
                timeout = 0;
                ++burst;
                last_record = now;
                step = on_record(ev.record);
                break;
            case K::end_of_partition:
                if (Part* p = find(ev.tp.topic, nullptr, ev.tp.partition); p && p->assigned && r_.exit_at_end)
                    mark_done(*p);
                if (all_done()) step = Stop::done;
                break;
            case K::assigned:
                if (auto a = start(ev.partitions, true); !a) return std::unexpected(a.error());
                if (all_done() && (r_.exit_at_end || bounded())) step = Stop::done;
                break;
            case K::revoked: step = on_revoked(ev.partitions); break;
            case K::error:
                if (auto e = on_error(ev); !e) return std::unexpected(e.error());
                break;
            case K::none: {
                // Nothing queued: write out what is buffered, then wait a little longer.
                if (burst >= 5000) wake_fetcher();
                burst = 0;
                step = flush();
                timeout = 100;
                if (now >= next_position_check) {
                    check_positions();
                    next_position_check = now + std::chrono::milliseconds(200);
                }
                if (step && *step == Stop::none && out_.reader_gone()) step = Stop::closed;
                if (step && *step == Stop::none && all_done() && !endless()) step = Stop::done;
                if (step && *step == Stop::none && r_.idle && now - last_record >= *r_.idle) step = Stop::done;
                break;
            }
        }
        if (!step) return std::unexpected(step.error());
        stop = *step;
    }
    bool ended_endless = endless();  // before close() gives the partitions up
    if (stop != Stop::closed) {
        // Interrupted or done: write what is buffered, then commit.
        if (out_.state() == Output::State::open && !out_.buffer().empty()) {
            auto f = flush();
            if (!f) return std::unexpected(f.error());
        } else if (out_.state() == Output::State::open) {
            if (auto st = store(); !st) return std::unexpected(st.error());
        }
    }
    sink_.tick(true);
    if (auto cm = c_.commit(); !cm) return std::unexpected(cm.error());
    if (auto cl = c_.close(); !cl) return std::unexpected(cl.error());
    if (stop == Stop::failed) return fail(Exit::data, "{}", failure_);
    ConsumeOutcome outcome{Exit::ok, written_};
    if (stop == Stop::interrupted && !ended_endless) outcome.exit = Exit::interrupted;
    return outcome;
}

Result<kafka::ClusterInfo> wait_for_topics(kafka::Client& admin, const ConsumeRequest& r) {
    for (bool told = false;;) {
        auto info = admin.cluster();
        if (!info) return std::unexpected(info.error());
        auto matched = match_topics(*info, r.topics);
        if (matched || !r.wait_for_topic || matched.error().code != Exit::not_found) {
            if (!matched) return std::unexpected(matched.error());
            return info;
        }
        if (!told && !admin.settings().quiet) fmt::print(stderr, "kpipe: waiting: {}\n", matched.error().message);
        told = true;
        for (int i = 0; i < 10 && !SignalGuard::interrupted(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (SignalGuard::interrupted()) return fail(Exit::interrupted, "interrupted while waiting for the topic");
    }
}

}  // namespace

kafka::Properties bounded_prefetch() { return prefetch_caps(); }

Result<ConsumeOutcome> consume(const Settings& settings, const ConsumeRequest& r, RecordSink& sink, Output& out) {
    if (r.plan.any_stored() && !r.group)
        return fail(Exit::usage, "--from stored needs a group (-g NAME): without one nothing is committed");
    if (r.group && !r.partitions.empty())
        return fail(Exit::usage, "-p/--partition cannot be combined with -g/--group: the group assigns partitions");

    auto admin = kafka::Client::create(settings, kafka::Role::admin);
    if (!admin) return std::unexpected(admin.error());
    auto info = wait_for_topics(*admin, r);
    if (!info) return std::unexpected(info.error());
    auto topics = match_topics(*info, r.topics);
    if (!topics) return std::unexpected(topics.error());

    std::vector<TopicPartition> tps;
    for (const auto* t : *topics) {
        for (int32_t p : r.partitions) {
            bool exists = std::any_of(t->partitions.begin(), t->partitions.end(),
                                      [&](const auto& pi) { return pi.id == p; });
            if (!exists)
                return fail(Exit::not_found, "partition {} of topic '{}' does not exist (it has {})", p, t->name,
                            t->partitions.size());
        }
        for (const auto& pi : t->partitions)
            if (r.partitions.empty() || std::binary_search(r.partitions.begin(), r.partitions.end(), pi.id))
                tps.push_back({t->name, pi.id});
    }

    kafka::ConsumerOptions co{r.group, r.commit, prefetch_caps()};
    for (const auto& [k, v] : r.consumer_defaults) co.defaults[k] = v;
    auto consumer = kafka::Consumer::create(settings, co);
    if (!consumer) return std::unexpected(consumer.error());

    Loop loop(settings, r, sink, out, *admin, *consumer);
    if (r.group) {
        if (auto s = consumer->subscribe(r.topics); !s) return std::unexpected(s.error());
    } else if (auto s = loop.start(tps, false); !s) {
        return std::unexpected(s.error());
    }
    return loop.run();
}

}  // namespace kpipe
