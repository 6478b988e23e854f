#include "kafka/client.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <fmt/ranges.h>

#include "connection_failure.hpp"
#include "kafka/oauth.hpp"

namespace kpipe::kafka {

std::string err_name(rd_kafka_resp_err_t err) { return rd_kafka_err2str(err); }

std::string ClientState::scrub(std::string text) const {
    for (const auto& s : secrets) {
        for (size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos))
            text.replace(pos, s.size(), "[redacted]");
    }
    return text;
}

std::string ClientState::not_kafka() const {
    const char* hint = "is this a Kafka listener?";
    if (std::any_of(brokers.begin(), brokers.end(), [](const auto& b) { return b.second.answered; })) return {};
    // What came back was read as a response length: show its four bytes ("HTTP").
    static constexpr std::string_view size_text = "Invalid response size ";
    if (auto at = last_error.find(size_text); at != std::string::npos) {
        std::string who = last_error.substr(0, last_error.find('/'));
        auto size = std::strtoll(last_error.c_str() + at + size_text.size(), nullptr, 10);
        std::string start;
        for (int shift = 24; shift >= 0; shift -= 8) start += static_cast<char>((size >> shift) & 0xff);
        bool printable = std::all_of(start.begin(), start.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
        if (!printable) return fmt::format("{} answered with something that is not Kafka ({})", who, hint);
        return fmt::format("{} answered with something that is not Kafka, starting \"{}\" ({}{})", who, start, hint,
                           start == "HTTP" ? " it looks like an HTTP server" : "");
    }
    for (const auto& [name, b] : brokers)
        if (b.hangups > 0)
            return fmt::format("{} closed the connection before any Kafka response ({} a TLS listener needs "
                               "security.protocol SSL)",
                               name, hint);
    for (const auto& [name, b] : brokers) {
        if (b.state == "APIVERSION_QUERY")
            return fmt::format("{} accepted the connection but sent no Kafka response ({})", name, hint);
        if (b.state == "SSL_HANDSHAKE")
            return fmt::format("{} accepted the connection but did not answer the TLS handshake ({})", name, hint);
    }
    return {};
}

bool ClientState::hung_up_on_every_request(int n) const {
    return !brokers.empty() && std::all_of(brokers.begin(), brokers.end(), [n](const auto& b) {
               return !b.second.answered && b.second.hangups >= n;
           });
}

const TopicInfo* ClusterInfo::find(std::string_view topic) const {
    auto it = std::lower_bound(topics.begin(), topics.end(), topic,
                               [](const TopicInfo& t, std::string_view n) { return t.name < n; });
    return it != topics.end() && it->name == topic ? &*it : nullptr;
}

std::vector<std::string> ClusterInfo::nodes_down(const std::vector<std::string>& names) const {
    std::set<int32_t> live;
    for (const auto& b : brokers) live.insert(b.id);
    std::map<int32_t, std::vector<std::string>> held;
    for (const auto& name : names)
        if (const auto* t = find(name))
            for (const auto& p : t->partitions)
                for (int32_t r : p.replicas)
                    if (!live.count(r)) held[r].push_back(fmt::format("{} [{}]", t->name, p.id));
    std::vector<std::string> out;
    for (const auto& [node, parts] : held)
        out.push_back(fmt::format("node {} is down or unreachable: the cluster does not list it among its {} live "
                                  "brokers, yet it holds replicas of {}",
                                  node, brokers.size(), fmt::join(parts, ", ")));
    return out;
}

namespace {

// A message that says why a connection failed (TLS, SASL, a token) is kept over the
// generic ones that follow it ("1/1 brokers are down"), so that kpipe names the cause.
void remember(ClientState& st, const char* text) {
    if (is_connection_failure(text) || !is_connection_failure(st.last_error)) st.last_error = text;
}

// A token refresh that failed while the token in use is still valid is no reason to
// give up: librdkafka asks again (a token endpoint may be down for a moment).
bool token_still_valid(const ClientState& st, std::string_view text) {
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    return text.find("OAUTHBEARER token") != std::string_view::npos && st.token_expires_ms > now;
}

void log_cb(const rd_kafka_t* rk, int level, const char* fac, const char* buf) noexcept {
    auto* st = static_cast<ClientState*>(rd_kafka_opaque(rk));
    if (!st) return;
    try {
        std::lock_guard lock(st->mu);
        if (level <= 4 || is_connection_failure(buf)) remember(*st, buf);
        // A retry cannot mend it: fail at once.
        if (is_permanent_failure(buf) && !token_still_valid(*st, buf)) {
            if (!st->auth_failed) st->auth_error = buf;
            st->auth_failed = true;
        }
        if (st->verbosity >= 1)
            for (const auto& line : st->log_limiter.admit(fmt::format("librdkafka {} {}: {}", level, fac, buf),
                                                          LogLimiter::Clock::now()))
                std::fputs(st->scrub(fmt::format("kpipe: {}\n", line)).c_str(), stderr);
    } catch (...) {
    }
}

void error_cb(rd_kafka_t* rk, int err, const char* reason, void* opaque) noexcept {
    auto* st = static_cast<ClientState*>(opaque);
    (void)rk;
    try {
        std::lock_guard lock(st->mu);
        auto e = static_cast<rd_kafka_resp_err_t>(err);
        // "1/1 brokers are down" sums up the errors before it: keep their reason.
        if (e != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || st->last_error.empty()) remember(*st, reason);
        if (e == RD_KAFKA_RESP_ERR__AUTHENTICATION || e == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED ||
            e == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED || e == RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED) {
            // Kept apart from last_error: "1/1 brokers are down" and the like follow it.
            if (!token_still_valid(*st, reason)) {
                if (!st->auth_failed) st->auth_error = reason;
                st->auth_failed = true;
            }
        }
        if (e == RD_KAFKA_RESP_ERR__FATAL) {
            char buf[512];
            rd_kafka_fatal_error(rk, buf, sizeof buf);
            st->fatal = true;
            st->fatal_reason = buf;
        }
        if (st->verbosity >= 2)
            std::fputs(st->scrub(fmt::format("kpipe: librdkafka error: {}\n", reason)).c_str(), stderr);
    } catch (...) {
    }
}

rd_kafka_resp_err_t on_broker_state(rd_kafka_t*, int32_t, const char*, const char* name, int port,
                                     const char* state, void* opaque) noexcept {
    auto* st = static_cast<ClientState*>(opaque);
    if (port <= 0) return RD_KAFKA_RESP_ERR_NO_ERROR;  // librdkafka's internal broker
    try {
        using clock = std::chrono::steady_clock;
        std::lock_guard lock(st->mu);
        auto& b = st->brokers[fmt::format("{}:{}", name, port)];
        std::string_view next = state;
        auto now = clock::now();
        // A peer that is not Kafka drops the connection at once; a silent one lets the
        // request time out (api.version.request.timeout.ms, 10s by default).
        if (b.state == "APIVERSION_QUERY" && next == "DOWN" && now - b.since < std::chrono::seconds(1)) ++b.hangups;
        if (next == "UP" || next == "UPDATE" || next.starts_with("AUTH")) b.answered = true;
        b.state = next;
        b.since = now;
    } catch (...) {
    }
    return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t on_new(rd_kafka_t* rk, const rd_kafka_conf_t*, void* opaque, char*, size_t) noexcept {
    return rd_kafka_interceptor_add_on_broker_state_change(rk, "kpipe", on_broker_state, opaque);
}

const char* debug_contexts(int verbosity) {
    if (verbosity >= 3) return "all";
    if (verbosity >= 2) return "broker,topic,metadata,msg,cgrp,fetch,admin";
    return nullptr;
}

}  // namespace

Result<Client> Client::create(const Settings& settings, Role role, const Properties& defaults,
                              const Properties& forced, const ConfHook& hook) {
    Client c;
    c.settings_ = &settings;
    c.role_ = role;
    c.state_ = std::make_unique<ClientState>();
    c.state_->verbosity = settings.verbosity;
    c.state_->secrets = settings.secret_values();

    ConfPtr conf(rd_kafka_conf_new());
    char errstr[512];
    auto set = [&](const std::string& k, const std::string& v, std::string_view origin) -> Result<void> {
        if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
            return fail(Exit::usage, "invalid property {}={} ({}): {}", k, redacted(k, v), origin, errstr);
        return {};
    };
    for (const auto& [k, v] : defaults)
        if (auto r = set(k, v, "kpipe default"); !r) return std::unexpected(r.error());
    for (const auto& [k, v] : settings.kafka)
        if (auto r = set(k, v.value, v.source); !r) return std::unexpected(r.error());
    for (const auto& [k, v] : forced)
        if (auto r = set(k, v, "required by this command"); !r) return std::unexpected(r.error());
    if (const char* dbg = debug_contexts(settings.verbosity))
        if (auto r = set("debug", dbg, "-v"); !r) return std::unexpected(r.error());
    // Stay quiet unless asked: kpipe reports problems itself, once, with an exit code.
    if (auto r = set("log.connection.close", "false", "kpipe"); !r) return std::unexpected(r.error());

    rd_kafka_conf_set_log_cb(conf.get(), log_cb);
    rd_kafka_conf_set_error_cb(conf.get(), error_cb);
    rd_kafka_conf_set_opaque(conf.get(), c.state_.get());
    if (rd_kafka_conf_interceptor_add_on_new(conf.get(), "kpipe", on_new, c.state_.get()))
        return fail(Exit::runtime, "cannot watch broker connections");
    if (hook) hook(conf.get());

    // OAUTHBEARER tokens kpipe fetches or signs itself (profile kinds oauth, msk-iam).
    auto tokens = token_source_for(settings, process_env());
    if (!tokens) return std::unexpected(tokens.error());
    if (*tokens) {
        c.state_->tokens = std::move(*tokens);
        install_token_refresh(conf.get());
    }

    rd_kafka_type_t type = role == Role::consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER;
    rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
    if (!rk) return fail(Exit::usage, "cannot create Kafka client: {}", errstr);
    conf.release();  // owned by rk now
    c.rk_.reset(rk);
    if (c.state_->tokens)
        if (auto ok = refresh_tokens_in_background(rk); !ok) return std::unexpected(ok.error());
    return c;
}

Client::~Client() {
    rk_.reset();  // its threads log until it is destroyed
    if (state_ && state_->verbosity >= 1)
        for (const auto& line : state_->log_limiter.flush())
            std::fputs(state_->scrub(fmt::format("kpipe: {}\n", line)).c_str(), stderr);
}

std::string Client::last_error() const {
    std::lock_guard lock(state_->mu);
    return state_->scrub(state_->last_error);
}

bool Client::token_refresh_can_wait(std::string_view reason) const {
    std::lock_guard lock(state_->mu);
    return token_still_valid(*state_, reason);
}

std::string Client::token_about() const {
    std::lock_guard lock(state_->mu);
    return state_->token_about;
}

Result<void> Client::usable() const {
    std::lock_guard lock(state_->mu);
    if (state_->auth_failed)
        return fail(Exit::connect, "cannot connect or authenticate at {}: {}", settings_->brokers(),
                    explained(state_->scrub(state_->auth_error), *settings_));
    if (state_->fatal)
        return fail(Exit::runtime, "fatal Kafka client error: {}", state_->scrub(state_->fatal_reason));
    return {};
}

bool Client::hung_up_on_every_request(int n) const {
    std::lock_guard lock(state_->mu);
    return state_->hung_up_on_every_request(n);
}

Error Client::connect_error(std::string_view what) const {
    // The diagnosis of librdkafka's last error, else what the connections showed (not a
    // Kafka listener), else the error itself.
    std::string raw = last_error(), reason;
    if (auto d = diagnose(raw, *settings_)) {
        reason = explained(raw, *d);
    } else {
        std::lock_guard lock(state_->mu);
        reason = state_->not_kafka();
    }
    if (reason.empty()) reason = raw;
    return Error{Exit::connect, fmt::format("cannot {} at {} within {}{}{}", what, settings_->brokers(),
                                            format_duration(settings_->timeout), reason.empty() ? "" : ": ",
                                            reason)};
}

TopicInfo topic_info_of(const rd_kafka_metadata_topic_t& t) {
    TopicInfo ti{t.topic, {}};
    for (int j = 0; j < t.partition_cnt; ++j) {
        const auto& p = t.partitions[j];
        PartitionInfo pi{p.id, p.leader, {p.replicas, p.replicas + p.replica_cnt}, {p.isrs, p.isrs + p.isr_cnt}};
        ti.partitions.push_back(std::move(pi));
    }
    std::sort(ti.partitions.begin(), ti.partitions.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return ti;
}

Result<ClusterInfo> Client::cluster() {
    using clock = std::chrono::steady_clock;
    auto deadline = clock::now() + settings_->timeout;
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    bool tls_checked = false;
    for (;;) {
        auto left = std::chrono::duration_cast<Millis>(deadline - clock::now());
        if (left.count() <= 0) return std::unexpected(connect_error("reach the Kafka cluster"));
        int slice = static_cast<int>(std::min<long long>(left.count(), 250));
        err = rd_kafka_metadata(rk_.get(), 1, nullptr, &md, slice);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
        if (role_ != Role::consumer) rd_kafka_poll(rk_.get(), 0);  // serve error_cb
        if (auto u = usable(); !u) return std::unexpected(u.error());
        // A TLS listener hangs up on every plaintext request: once that is certain, say so
        // now rather than at the end of --timeout.
        if (!tls_checked && hung_up_on_every_request(3)) {
            tls_checked = true;
            if (auto d = plaintext_to_tls(*settings_))
                return fail(Exit::connect, "cannot reach the Kafka cluster at {}: {}", settings_->brokers(),
                            explained(last_error(), *d));
        }
        if (err != RD_KAFKA_RESP_ERR__TIMED_OUT && err != RD_KAFKA_RESP_ERR__TRANSPORT)
            return fail(Exit::runtime, "metadata request to {} failed: {}", settings_->brokers(), err_name(err));
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    MetadataPtr holder(md);
    ClusterInfo info;
    for (int i = 0; i < md->broker_cnt; ++i)
        info.brokers.push_back({md->brokers[i].id, md->brokers[i].host, md->brokers[i].port});
    for (int i = 0; i < md->topic_cnt; ++i) {
        const auto& t = md->topics[i];
        if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) continue;
        info.topics.push_back(topic_info_of(t));
    }
    std::sort(info.topics.begin(), info.topics.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    std::sort(info.brokers.begin(), info.brokers.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return info;
}

}  // namespace kpipe::kafka
