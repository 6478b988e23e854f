#include "connection_failure.hpp"

#include "tls_probe.hpp"

namespace kpipe {

namespace {

bool has(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

bool client_cert_given(const Settings& s) {
    return !s.kafka_value("ssl.certificate.location").empty() || !s.kafka_value("ssl.certificate.pem").empty() ||
           !s.kafka_value("ssl.keystore.location").empty();
}

// "broker's supported mechanisms: SCRAM-SHA-512,SCRAM-SHA-256" -> "SCRAM-SHA-512,SCRAM-SHA-256"
std::string offered_mechanisms(std::string_view reason) {
    constexpr std::string_view marker = "supported mechanisms: ";
    auto at = reason.find(marker);
    if (at == std::string_view::npos) return {};
    std::string_view rest = reason.substr(at + marker.size());
    return std::string(rest.substr(0, rest.find_first_of(" (")));
}

Diagnosis certificate_failure(const Settings& s) {
    Diagnosis d{"TLS", "the broker's certificate could not be verified",
                "set ca_file to the CA certificate that signed the broker's certificate (PEM or PKCS#12)"};
    auto [host, port] = first_bootstrap(s);
    auto peer = probe_tls(host, port, s, Millis{3000});
    if (!peer) return d;
    if (peer->untrusted) {
        d.cause = fmt::format("the broker's certificate (issued by {}) is not signed by a CA kpipe trusts ({})",
                              peer->issuer, peer->verify_error);
        d.fix = s.kafka_value("ssl.ca.location").empty() && s.kafka_value("ssl.ca.pem").empty()
                    ? "set ca_file to the CA certificate that signed it (without one kpipe trusts the system's CA store)"
                    : "ca_file names another CA: set it to the CA certificate that signed the broker's certificate";
    } else if (peer->expired) {
        d.cause = "the broker's certificate has expired";
        d.fix = "the broker needs a new certificate";
    } else if (peer->host_mismatch) {
        d.cause = fmt::format("host name mismatch: the broker's certificate names {}, not {}",
                              peer->names.empty() ? peer->subject : peer->names, host);
        d.fix = "connect with a name the certificate holds (brokers = \"NAME:PORT\"), or give the broker a "
                "certificate for this name";
    }
    return d;
}

}  // namespace

bool is_permanent_failure(std::string_view r) {
    return has(r, "certificate verify failed") || has(r, "alert bad certificate") ||
           has(r, "alert certificate unknown") || has(r, "alert certificate required") ||
           has(r, "alert unknown ca") || has(r, "SSL handshake failed") || has(r, "Unsupported SASL mechanism") ||
           has(r, "SASL authentication error") || has(r, "Failed to acquire SASL OAUTHBEARER token") ||
           has(r, "wrong version number");
}

bool is_connection_failure(std::string_view r) {
    return has(r, "incorrect security.protocol") || has(r, "security.protocol is correctly configured") ||
           is_permanent_failure(r);
}

std::optional<Diagnosis> diagnose(std::string_view r, const Settings& s) {
    std::string mechanism = s.kafka_value("sasl.mechanisms");
    if (has(r, "unexpected eof while reading") || has(r, "wrong version number") ||
        has(r, "connecting to a PLAINTEXT broker listener"))
        return Diagnosis{"TLS", "the broker's port does not speak TLS (a plaintext listener, or the wrong port for TLS)",
                         "use the broker's TLS port, or security_protocol = PLAINTEXT or SASL_PLAINTEXT if the "
                         "listener really is plaintext"};
    if (has(r, "connecting to a SSL listener"))
        return Diagnosis{"TLS", "kpipe spoke plaintext to a listener that expects TLS",
                         "set security_protocol = SSL (or SASL_SSL with a user and password)"};
    if (has(r, "certificate verify failed")) return certificate_failure(s);
    if (has(r, "alert bad certificate") || has(r, "alert certificate required") ||
        has(r, "alert certificate unknown") || has(r, "alert unknown ca")) {
        if (!client_cert_given(s))
            return Diagnosis{"TLS", "the broker requires a client certificate (mutual TLS) and none is configured",
                             "set cert_file and key_file (PEM), or cert_file to a PKCS#12 bundle with key_password"};
        return Diagnosis{"TLS", "the broker refused the client certificate (not signed by a CA it trusts, or expired)",
                         "use the client certificate issued for this cluster (cert_file, key_file)"};
    }
    if (has(r, "Unsupported SASL mechanism")) {
        std::string offered = offered_mechanisms(r);
        return Diagnosis{"SASL",
                         fmt::format("the broker does not offer SASL {}; it offers {}", mechanism,
                                     offered.empty() ? "others" : offered),
                         fmt::format("set sasl_mechanism = \"{}\" (a SCRAM vs PLAIN mix-up?)",
                                     offered.substr(0, offered.find(',')))};
    }
    if (has(r, "Failed to acquire SASL OAUTHBEARER token"))
        return Diagnosis{"TOKEN", "kpipe could not get an OAUTHBEARER token",
                         "check token_endpoint, client_id and client_secret (kind oauth) or the AWS credentials "
                         "(kind msk-iam)"};
    if (has(r, "SASL authentication error") || has(r, "Authentication failed")) {
        if (mechanism == "OAUTHBEARER")
            return Diagnosis{"SASL", "authentication failed: the broker rejected the token (expired, or not signed "
                                     "by a key, issuer or audience it accepts)",
                             "check the token endpoint and scope the cluster expects, and this machine's clock"};
        std::string fix = "check user and password";
        if (mechanism.starts_with("SCRAM"))
            fix += fmt::format(" (SCRAM: the user must exist for {}; MSK uses SCRAM-SHA-512)", mechanism);
        else if (mechanism == "PLAIN")
            fix += " (Confluent Cloud: API key and secret; Event Hubs: the connection string)";
        return Diagnosis{"SASL", "authentication failed: wrong user name or password", fix};
    }
    if (has(r, "might require SASL authentication"))
        return Diagnosis{"SASL", "the listener requires SASL authentication",
                         "set security_protocol = SASL_SSL and sasl_mechanism, user and password"};
    if (has(r, "Connection refused"))
        return Diagnosis{"TCP", "nothing listens at that address (connection refused)",
                         "check the brokers' host and port"};
    if (has(r, "Failed to resolve"))
        return Diagnosis{"DNS", "the broker's host name does not resolve", "check the brokers' host names"};
    if (has(r, "brokers are down")) return plaintext_to_tls(s);
    return std::nullopt;
}

// A plaintext client that a TLS listener hangs up on sees only "brokers are down":
// a TLS handshake of kpipe's own tells that case apart.
std::optional<Diagnosis> plaintext_to_tls(const Settings& s) {
    if (s.uses_tls()) return std::nullopt;
    auto [host, port] = first_bootstrap(s);
    if (!probe_tls(host, port, s, Millis{3000})) return std::nullopt;
    return Diagnosis{"TLS", "kpipe spoke plaintext to a listener that expects TLS",
                     "set security_protocol = SSL (or SASL_SSL with a user and password)"};
}

std::string explained(std::string_view reason, const Diagnosis& d) {
    return fmt::format("{} (fix: {}) [{}]", d.cause, d.fix, reason);
}

std::string explained(std::string_view reason, const Settings& s) {
    auto d = diagnose(reason, s);
    return d ? explained(reason, *d) : std::string(reason);
}

}  // namespace kpipe
