#include "topic_source.hpp"

#include <algorithm>
#include <regex>
#include <thread>

#include "bounds.hpp"

namespace kpipe {

using clock = std::chrono::steady_clock;

namespace {

kafka::Properties prefetch_caps() {
    return {
        {"queued.max.messages.kbytes", "4096"},  // the whole consumer queue, not per partition
        {"fetch.max.bytes", "4194304"},
        {"max.partition.fetch.bytes", "1048576"},
        {"fetch.wait.max.ms", "100"},
    };
}

bool is_regex(const std::string& t) { return t.starts_with('^'); }

void say(const std::vector<std::string>& lines) {
    for (const auto& line : lines) fmt::print(stderr, "kpipe: {}\n", line);
}

std::string list_of(const std::vector<TopicPartition>& tps) {
    std::string out;
    for (const auto& tp : tps) out += fmt::format("{}{} [{}]", out.empty() ? "" : ", ", tp.topic, tp.partition);
    return out;
}

Result<kafka::ClusterInfo> wait_for_topics(kafka::Client& admin, const TopicSourceOptions& o) {
    for (bool told = false;;) {
        auto info = admin.cluster();
        if (!info) return std::unexpected(info.error());
        auto matched = match_topics(*info, o.topics);
        if (matched || !o.wait_for_topic || matched.error().code != Exit::not_found) {
            if (!matched) return std::unexpected(matched.error());
            return info;
        }
        if (!told && !admin.settings().quiet) fmt::print(stderr, "kpipe: waiting: {}\n", matched.error().message);
        told = true;
        for (int i = 0; i < 10 && !o.cancel.requested(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (o.cancel.requested()) return fail(Exit::interrupted, "interrupted while waiting for the topic");
    }
}

// Per-partition offsets (P=SPEC) must name partitions the topics have.
Result<void> check_plan_partitions(const OffsetPlan& plan, const std::vector<const kafka::TopicInfo*>& topics) {
    for (const auto& [p, range] : plan.partitions) {
        bool any = std::any_of(topics.begin(), topics.end(), [&](const auto* t) {
            return std::any_of(t->partitions.begin(), t->partitions.end(), [&](const auto& pi) { return pi.id == p; });
        });
        if (any) continue;
        const auto* t = topics.front();
        return fail(Exit::usage, "offsets for partition {}: topic '{}' has no partition {} (it has {})", p, t->name, p,
                    t->partitions.size());
    }
    return {};
}

}  // namespace

Result<std::vector<const kafka::TopicInfo*>> match_topics(const kafka::ClusterInfo& info,
                                                           const std::vector<std::string>& topics) {
    std::vector<const kafka::TopicInfo*> out;
    for (const auto& t : topics) {
        if (!is_regex(t)) {
            const auto* ti = info.find(t);
            if (!ti) return fail(Exit::not_found, "topic '{}' does not exist", t);
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
        if (!any) return fail(Exit::not_found, "no topic matches '{}'", t);
    }
    std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->name < b->name; });
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Result<std::vector<TopicPartition>> select_partitions(const std::vector<const kafka::TopicInfo*>& topics,
                                                      const std::vector<int32_t>& only) {
    std::vector<TopicPartition> tps;
    for (const auto* t : topics) {
        for (int32_t p : only) {
            bool exists = std::any_of(t->partitions.begin(), t->partitions.end(),
                                      [&](const auto& pi) { return pi.id == p; });
            if (!exists)
                return fail(Exit::not_found, "partition {} of topic '{}' does not exist (it has {})", p, t->name,
                            t->partitions.size());
        }
        for (const auto& pi : t->partitions)
            if (only.empty() || std::find(only.begin(), only.end(), pi.id) != only.end())
                tps.push_back({t->name, pi.id});
    }
    return tps;
}

struct TopicSource::Part {
    TopicPartition tp;
    uint32_t place = 0;
    const char* name_ptr = nullptr;  // librdkafka's topic name, for fast lookup
    int64_t end = -1;                // exclusive; -1: none
    bool assigned = false;
    bool done = false;
    bool dirty = false;      // `pending` not stored yet
    int64_t pending = -1;    // next offset after the last record finished
    int64_t committed = -1;  // the group's committed offset, as last reported
    int64_t first_read = -1; // first offset read since assigned
    int64_t start = -1;      // where reading started (-1: the group's committed offset)
    int64_t next = -1;       // after the last record read
};

Result<std::unique_ptr<TopicSource>> TopicSource::open(const Settings& settings, TopicSourceOptions o,
                                                       Places& places) {
    if (o.plan.any_stored() && !o.group)
        return fail(Exit::usage, "offset 'stored' needs a consumer group: without one nothing is committed");
    if (o.group && !o.partitions.empty())
        return fail(Exit::usage, "a partition list cannot be combined with a consumer group: the group assigns partitions");

    auto admin = kafka::Client::create(settings, kafka::Role::admin);
    if (!admin) return std::unexpected(admin.error());
    auto info = wait_for_topics(*admin, o);
    if (!info) return std::unexpected(info.error());
    auto topics = match_topics(*info, o.topics);
    if (!topics) return std::unexpected(topics.error());
    auto tps = select_partitions(*topics, o.partitions);
    if (!tps) return std::unexpected(tps.error());
    if (auto c = check_plan_partitions(o.plan, *topics); !c) return std::unexpected(c.error());

    kafka::ConsumerOptions co{o.group, o.commit, prefetch_caps()};
    if (o.group && o.commit) co.defaults["auto.commit.interval.ms"] = std::to_string(o.commit_interval.count());
    auto consumer = kafka::Consumer::create(settings, co);
    if (!consumer) return std::unexpected(consumer.error());

    std::unique_ptr<TopicSource> src(
        new TopicSource(settings, std::move(o), places, std::move(*admin), std::move(*consumer)));
    if (src->o_.group) {
        if (auto s = src->c_.subscribe(src->o_.topics); !s) return std::unexpected(s.error());
    } else if (auto s = src->start(*tps, false); !s) {
        return std::unexpected(s.error());
    }
    return src;
}

TopicSource::TopicSource(const Settings& s, TopicSourceOptions o, Places& places, kafka::Client admin,
                         kafka::Consumer consumer)
    : s_(s), o_(std::move(o)), places_(places), admin_(std::move(admin)), c_(std::move(consumer)) {}

TopicSource::~TopicSource() = default;

TopicSource::Part& TopicSource::part(const TopicPartition& tp) {
    for (auto& p : parts_)
        if (p->tp == tp) return *p;
    parts_.push_back(std::make_unique<Part>());
    parts_.back()->tp = tp;
    parts_.back()->place = places_.add(tp.topic);
    return *parts_.back();
}

TopicSource::Part* TopicSource::find(std::string_view topic, const char* name_ptr, int32_t partition) {
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

// With a group, the plan says where this run starts: it applies to the partitions of the
// first assignment only. Partitions assigned later (after a rebalance, including ones
// another member was reading) continue from the group's committed offset, so a rebalance
// neither re-reads (from beginning) nor skips and commits past records (from end/@TIME).
Result<std::vector<kafka::StartAt>> TopicSource::plan_for(const std::vector<TopicPartition>& tps) {
    OffsetSpec start = o_.default_start;
    if (o_.group && !o_.from_given) start = {OffsetSpec::Kind::stored, 0};
    const OffsetPlan* plan = &o_.plan;
    OffsetPlan later;
    if (o_.group && first_assignment_taken_) {
        start = {OffsetSpec::Kind::stored, 0};
        later = o_.plan;  // keeps the ends (until, FROM:TO)
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
            if (auto e = o_.ends.find(tps[i]); e != o_.ends.end()) p.end = e->second;
            if (o_.exit_at_end) p.end = p.end < 0 ? b.high : std::min(p.end, b.high);
        }
        p.assigned = true;
        p.first_read = -1;
        std::optional<int64_t> at = b.start;
        if (auto r = o_.resume.find(tps[i]); r != o_.resume.end()) at = r->second;
        p.start = p.next = at ? *at : -1;
        if (p.end >= 0 && at && *at >= p.end) p.done = true;
        starts.push_back({tps[i], at});
    }
    return starts;
}

// Assign mode (`grouped` false) starts all partitions at once; group mode accepts what
// the group handed over. Either way, partitions already at their end are paused.
Result<void> TopicSource::start(const std::vector<TopicPartition>& tps, bool grouped) {
    auto starts = plan_for(tps);
    if (!starts) return std::unexpected(starts.error());
    have_assignment_ = true;
    first_assignment_taken_ = true;
    if (s_.verbosity >= 1)
        fmt::print(stderr, "kpipe: {} {} partition(s){}{}\n",
                   grouped ? fmt::format("group '{}' assigned", *o_.group) : std::string("reading"), tps.size(),
                   tps.empty() ? "" : ": ", list_of(tps));
    if (auto a = grouped ? c_.accept(*starts) : c_.assign(*starts); !a) return a;
    std::vector<TopicPartition> finished;
    for (const auto& tp : tps)
        if (part(tp).done) finished.push_back(tp);
    if (!finished.empty()) c_.pause(finished);
    return {};
}

// After a barrier: the writer finished what was pulled, so done() stored it. Commit it
// (unless the group already took the partitions away) and give them up, whatever the
// commit says: a lost assignment that is not released blocks the consumer for good.
Result<void> TopicSource::complete_revoke() {
    revoke_pending_ = false;
    auto tps = std::exchange(revoking_, {});
    if (auto st = store(); !st && s_.verbosity >= 1) fmt::print(stderr, "kpipe: {}\n", st.error().message);
    if (revoking_lost_) {
        uint64_t again = 0;
        for (const auto& tp : tps) {
            Part& p = part(tp);
            int64_t from = p.committed >= 0 ? p.committed : p.first_read;
            if (p.pending > from && from >= 0) again += static_cast<uint64_t>(p.pending - from);
        }
        if (!s_.quiet)
            fmt::print(stderr,
                       "kpipe: group '{}' lost {} partition(s) (the session expired); {} record(s) written but not "
                       "committed may be read again\n",
                       *o_.group, tps.size(), again);
    } else if (auto cm = c_.commit(); !cm && !s_.quiet) {
        fmt::print(stderr, "kpipe: {} (the records may be read again)\n", cm.error().message);
    }
    for (const auto& tp : tps) {
        Part& p = part(tp);
        p.assigned = false;
        p.dirty = false;
    }
    if (s_.verbosity >= 1) fmt::print(stderr, "kpipe: group '{}' revoked {} partition(s)\n", *o_.group, tps.size());
    last_ = nullptr;
    return c_.release(tps);
}

bool TopicSource::wants_done() const { return o_.group && o_.commit; }

void TopicSource::done(const Position& pos) {
    Part* p = last_ && last_->place == pos.place && last_->tp.partition == pos.partition ? last_ : nullptr;
    if (!p) {
        for (auto& q : parts_)
            if (q->place == pos.place && q->tp.partition == pos.partition) p = q.get();
    }
    if (!p || !p->assigned) return;
    p->pending = pos.at + 1;
    p->dirty = true;
}

Result<void> TopicSource::store() {
    if (!o_.group) return {};
    std::vector<std::pair<TopicPartition, int64_t>> offs;
    for (auto& p : parts_) {
        if (!p->dirty) continue;
        p->dirty = false;
        if (p->assigned) offs.emplace_back(p->tp, p->pending);
    }
    return c_.store(offs);
}

void TopicSource::mark_done(Part& p) {
    if (p.done) return;
    p.done = true;
    c_.pause({p.tp});
}

bool TopicSource::all_done() const {
    if (!have_assignment_) return false;
    for (const auto& p : parts_)
        if (p->assigned && !p->done) return false;
    return true;
}

// Whether the run has an end: every partition it reads has one (until, FROM:TO), known
// once partitions are assigned.
bool TopicSource::bounded() const {
    if (o_.plan.bounded()) return true;
    std::vector<int32_t> ps;
    for (const auto& p : parts_)
        if (p->assigned) ps.push_back(p->tp.partition);
    return o_.plan.bounded(ps);
}

bool TopicSource::endless() const { return !o_.exit_at_end && !bounded(); }

std::vector<Lane> TopicSource::lanes() const {
    std::vector<Lane> out;
    for (const auto& p : parts_)
        if (p->assigned) out.push_back({p->place, p->tp.partition, p->done});
    return out;
}

std::optional<double> TopicSource::progress() const {
    int64_t total = 0, read = 0;
    for (const auto& p : parts_) {
        if (!p->assigned) continue;
        if (p->end < 0 || p->start < 0) return std::nullopt;
        total += std::max<int64_t>(0, p->end - p->start);
        read += p->done ? std::max<int64_t>(0, p->end - p->start) : std::clamp(p->next, p->start, p->end) - p->start;
    }
    if (!have_assignment_) return std::nullopt;
    return total > 0 ? static_cast<double>(read) / static_cast<double>(total) : 1.0;
}

std::vector<TopicSource::Window> TopicSource::windows() const {
    std::vector<Window> out;
    for (const auto& p : parts_)
        if (p->assigned) out.push_back({p->tp, p->start, p->end});
    return out;
}

void TopicSource::check_positions() {
    std::vector<TopicPartition> tps;
    std::vector<Part*> which;
    for (auto& p : parts_)
        if (p->assigned && !p->done && p->end >= 0) tps.push_back(p->tp), which.push_back(p.get());
    if (tps.empty()) return;
    auto pos = c_.positions(tps);
    for (size_t i = 0; i < tps.size(); ++i)
        if (pos[i] >= 0 && pos[i] >= which[i]->end) mark_done(*which[i]);
}

void TopicSource::wake_fetcher() {
    std::vector<TopicPartition> live;
    for (auto& p : parts_)
        if (p->assigned && !p->done) live.push_back(p->tp);
    c_.wake_fetcher(live);
}

void TopicSource::note_outage(bool down) {
    if (down == down_) return;
    auto now = clock::now();
    down_ = down;
    if (down) down_since_ = now;
    next_reach_check_ = now + std::chrono::seconds(1);
    if (!o_.report_outages) return;
    if (down)
        fmt::print(stderr, "kpipe: cannot reach the brokers at {}; retrying until they are back (Ctrl-C to stop)\n",
                   s_.brokers());
    else
        fmt::print(stderr, "kpipe: the brokers at {} are reachable again after {}\n", s_.brokers(),
                   format_duration(std::chrono::duration_cast<Millis>(now - down_since_)));
}

Result<void> TopicSource::on_error() {
    const kafka::Polled& ev = ev_;
    if (ev.fatal) return fail(Exit::runtime, "fatal Kafka error: {}", ev.message);
    switch (ev.fault) {
        case kafka::Fault::unknown_topic:
            if (o_.wait_for_topic) break;
            return fail(Exit::not_found, "{}{}", ev.tp.topic.empty() ? "" : fmt::format("topic '{}': ", ev.tp.topic),
                        ev.message);
        case kafka::Fault::not_allowed: return fail(Exit::connect, "not allowed at {}: {}", s_.brokers(), ev.message);
        case kafka::Fault::unreachable:
            if (ev.message.find("brokers are down") != std::string::npos)
                note_outage(true);
            else
                probe_due_ = true;
            break;
        default: break;
    }
    if (s_.verbosity >= 1) fmt::print(stderr, "kpipe: {}\n", ev.message);
    return {};
}

void TopicSource::on_committed() {
    if (ev_.fault != kafka::Fault::none && ev_.fault != kafka::Fault::no_offset) {
        // Tried every --commit-interval while the coordinator is away: said a few times, then counted.
        if (s_.verbosity >= 1)
            say(commit_log_.admit(fmt::format("offset commit failed for {}: {}", list_of(ev_.partitions), ev_.message),
                                  LogLimiter::Clock::now()));
        return;
    }
    for (size_t i = 0; i < ev_.partitions.size(); ++i)
        if (ev_.offsets[i] >= 0) part(ev_.partitions[i]).committed = ev_.offsets[i];
}

Result<Pull> TopicSource::pull(Item& out, int wait_ms) {
    if (revoke_pending_) {
        if (auto r = complete_revoke(); !r) return std::unexpected(r.error());
    }
    if (end_after_this_) return Pull::end;
    using K = kafka::Polled::Kind;
    for (;;) {
        c_.poll(ev_, wait_ms);
        wait_ms = 0;
        switch (ev_.kind) {
            case K::record: {
                const RecordView& rec = ev_.record;
                Part* p = find(rec.topic, rec.topic.data(), rec.partition);
                if (!p || !p->assigned || p->done) continue;
                if (p->end >= 0 && rec.offset >= p->end) {
                    mark_done(*p);
                    if (all_done()) return Pull::end;
                    continue;
                }
                ++burst_;
                if (down_) note_outage(false);
                if (p->first_read < 0) p->first_read = rec.offset;
                p->next = rec.offset + 1;
                if (p->end >= 0 && rec.offset + 1 >= p->end) {
                    mark_done(*p);
                    end_after_this_ = all_done();
                }
                out.record = rec;
                out.pos = {p->place, rec.partition, rec.offset};
                out.bad = {};
                out.envelope = {};
                return Pull::item;
            }
            case K::end_of_partition:
                if (Part* p = find(ev_.tp.topic, nullptr, ev_.tp.partition); p && p->assigned && o_.exit_at_end)
                    mark_done(*p);
                if (all_done()) return Pull::end;
                continue;
            case K::assigned:
                if (auto a = start(ev_.partitions, true); !a) return std::unexpected(a.error());
                if (all_done() && (o_.exit_at_end || bounded())) return Pull::end;
                continue;
            case K::revoked:
                revoking_ = ev_.partitions;
                revoking_lost_ = ev_.lost;
                revoke_pending_ = true;
                return Pull::barrier;
            case K::committed: on_committed(); continue;
            case K::error:
                if (auto e = on_error(); !e) return std::unexpected(e.error());
                continue;
            case K::none: {
                // Nothing queued: librdkafka 2.0 idles its fetcher a second after a full
                // prefetch queue; a burst that filled it gets a nudge.
                if (burst_ >= 5000) wake_fetcher();
                burst_ = 0;
                auto now = clock::now();
                if (now >= next_position_check_) {
                    check_positions();
                    next_position_check_ = now + std::chrono::milliseconds(200);
                }
                if (all_done() && !endless()) return Pull::end;
                return Pull::idle;
            }
        }
    }
}

Result<void> TopicSource::tick() {
    // librdkafka's all-brokers-down error is not raised in every outage (a consumer group's
    // coordinator connection counts too): after a lost connection, ask the cluster (a far
    // cloud cluster may need a second for a new TLS and SASL handshake).
    if (!down_ && probe_due_ && clock::now() >= next_reach_check_) {
        probe_due_ = false;
        next_reach_check_ = clock::now() + std::chrono::seconds(1);
        if (!c_.reachable(Millis(2000))) note_outage(true);
    }
    if (down_ && clock::now() >= next_reach_check_) {
        next_reach_check_ = clock::now() + std::chrono::seconds(1);
        if (c_.reachable(Millis(200))) note_outage(false);
    }
    // A run with an end gives up when the brokers stay away longer than the timeout; a
    // run that follows a topic live waits for them.
    if (down_ && !endless() && clock::now() - down_since_ >= s_.timeout)
        return fail(Exit::connect, "lost the brokers at {} for longer than the timeout ({}): {}", s_.brokers(),
                    format_duration(s_.timeout), c_.client().last_error());
    return store();
}

Result<void> TopicSource::finish() {
    if (finished_) return {};
    finished_ = true;
    Result<void> first;
    auto keep = [&](Result<void> r) {
        if (!r && first) first = std::move(r);
    };
    if (revoke_pending_) keep(complete_revoke());
    keep(store());
    keep(c_.commit());
    keep(c_.close());
    say(commit_log_.flush());
    return first;
}

}  // namespace kpipe
