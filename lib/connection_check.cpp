#include "connection_check.hpp"

#include <chrono>

#include "connection_failure.hpp"
#include "kafka/client.hpp"
#include "kafka/cluster_identity.hpp"
#include "kafka/groups.hpp"
#include "net_probe.hpp"
#include "tls_probe.hpp"
#include "token_source.hpp"

namespace kpipe {

namespace {

using clock = std::chrono::steady_clock;

double ms_since(clock::time_point t) {
    return std::chrono::duration<double, std::milli>(clock::now() - t).count();
}

struct Run {
    CheckReport report;
    clock::time_point started = clock::now();
    void begin() { started = clock::now(); }
    void ok(std::string name, std::string detail) {
        report.steps.push_back({std::move(name), true, false, ms_since(started), std::move(detail), {}});
    }
    void skip(std::string name, std::string why) { report.steps.push_back({std::move(name), true, true, 0, std::move(why), {}}); }
    void failed(std::string name, std::string cause, std::string fix, Exit code = Exit::connect) {
        report.steps.push_back({std::move(name), false, false, ms_since(started), std::move(cause), std::move(fix)});
        report.exit = code;
    }
    void failed(const Diagnosis& d, std::string_view raw) {
        failed(d.step, fmt::format("{} [{}]", d.cause, raw), d.fix);
    }
};

std::string tls_detail(const TlsPeer& p) {
    return fmt::format("{}; server {}{}{}; issuer {}; expires in {} days", p.protocol, p.subject,
                       p.names.empty() ? "" : " (names ", p.names.empty() ? "" : p.names + ")", p.issuer, p.days_left);
}

// The TLS step: kpipe's own handshake, so that a certificate problem is named exactly.
bool check_tls(Run& run, const Settings& s, const std::string& host, const std::string& port) {
    if (!s.uses_tls()) {
        run.skip("TLS", "not used (security.protocol " + s.kafka_value("security.protocol") + ")");
        return true;
    }
    run.begin();
    auto peer = probe_tls(host, port, s, s.timeout);
    if (!peer) {
        if (peer.error().no_tls)
            run.failed("TLS", "the port does not speak TLS (a plaintext listener, or the wrong port for TLS) [" +
                                  peer.error().error.message + "]",
                       "use the broker's TLS port, or security_protocol = PLAINTEXT or SASL_PLAINTEXT if the listener "
                       "really is plaintext");
        else
            run.failed("TLS", peer.error().error.message, "check the brokers' address and the TLS settings",
                       peer.error().error.code);
        return false;
    }
    bool verify = s.kafka_value("enable.ssl.certificate.verification") != "false";
    if (verify && !peer->verified) {
        auto d = diagnose("certificate verify failed", s).value();
        run.failed("TLS", tls_detail(*peer) + ": " + d.cause, d.fix);
        return false;
    }
    if (peer->client_cert_requested) {
        run.failed("TLS", tls_detail(*peer) + ": the broker requires a client certificate (mutual TLS) and none is configured",
                   "set cert_file and key_file (PEM), or cert_file to a PKCS#12 bundle with key_password");
        return false;
    }
    run.ok("TLS", tls_detail(*peer) + (verify ? "; verified" : "; NOT verified (insecure_skip_tls_verify)"));
    return true;
}

}  // namespace

CheckReport check_connection(const Settings& s) {
    Run run;
    auto [host, port] = first_bootstrap(s);

    run.begin();
    auto addrs = resolve(host, port);
    if (!addrs) {
        run.failed("DNS", addrs.error().message, "check the host name in brokers");
        return run.report;
    }
    std::string list;
    for (const auto& a : *addrs) list += (list.empty() ? "" : ", ") + a.text;
    run.ok("DNS", fmt::format("{} is {}", host, list));

    run.begin();
    auto conn = connect_tcp(*addrs, port, s.timeout);
    if (!conn) {
        run.failed("TCP", conn.error().message, "check the port and that the broker runs and is reachable from here");
        return run.report;
    }
    { Socket close_it(conn->fd); }
    run.ok("TCP", conn->address + " accepts connections");

    if (!check_tls(run, s, host, port)) return run.report;

    run.begin();
    auto tokens = token_source_for(s, process_env());
    if (!tokens) {
        run.failed("TOKEN", tokens.error().message, "", tokens.error().code);
        return run.report;
    }
    if (*tokens) {
        auto t = (*tokens)->fetch();
        if (!t) {
            run.failed("TOKEN", t.error().message,
                       "check token_endpoint, client_id, client_secret and scope (kind oauth), or the AWS credentials "
                       "and region (kind msk-iam)",
                       t.error().code);
            return run.report;
        }
        run.ok("TOKEN", t->about);
    }

    std::string mechanism = s.kafka_value("sasl.mechanisms");
    std::string protocol = s.kafka_value("security.protocol");
    bool sasl = protocol.starts_with("SASL") || protocol.starts_with("sasl");
    // The step that fails when the client does: SASL when it authenticates, else METADATA.
    const char* next = sasl ? "SASL" : "METADATA";
    run.begin();
    auto client = kafka::Client::create(s, kafka::Role::admin);
    if (!client) {
        run.failed(next, client.error().message, "", client.error().code);
        return run.report;
    }
    auto cluster = client->cluster();
    if (!cluster) {
        std::string raw = client->last_error();
        if (auto d = diagnose(raw, s)) run.failed(*d, raw);
        else run.failed(next, cluster.error().message, "run with -vv to see librdkafka's debug log", cluster.error().code);
        return run.report;
    }
    if (sasl) {
        std::string user = s.kafka_value("sasl.username");
        run.ok("SASL", fmt::format("{}{}: authenticated", mechanism.empty() ? "GSSAPI" : mechanism,
                                   mechanism == "OAUTHBEARER" ? "" : user.empty() ? "" : " as " + user));
    } else {
        run.skip("SASL", "not used (security.protocol " + (protocol.empty() ? std::string("PLAINTEXT") : protocol) + ")");
    }

    run.begin();
    auto who = kafka::cluster_identity(*client);
    std::string brokers;
    for (const auto& b : cluster->brokers) brokers += fmt::format("{}{} at {}:{}", brokers.empty() ? "" : ", ", b.id, b.host, b.port);
    run.ok("METADATA", fmt::format("cluster {}; {} broker{} ({}); controller {}", who.id.empty() ? "(no id)" : who.id,
                                   cluster->brokers.size(), cluster->brokers.size() == 1 ? "" : "s", brokers,
                                   who.controller));

    size_t visible = 0;
    for (const auto& t : cluster->topics) visible += t.internal() ? 0 : 1;
    run.ok("TOPICS", fmt::format("may list topics: {} visible", visible));

    run.begin();
    auto groups = kafka::list_groups(*client);
    if (!groups) {
        run.failed("GROUPS", "may not list consumer groups: " + groups.error().message,
                   "ask the cluster's admin for DESCRIBE on the groups (ACL) if kpipe lag is needed",
                   groups.error().code == Exit::ok ? Exit::runtime : groups.error().code);
        return run.report;
    }
    run.ok("GROUPS", fmt::format("may list consumer groups: {}", groups->size()));
    return run.report;
}

}  // namespace kpipe
