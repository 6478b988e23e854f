// A TLS handshake of kpipe's own (OpenSSL), with the CA, client certificate and host
// name checks librdkafka would make from the same settings, to show what the broker
// presents: protocol, certificate subject, issuer, names, days to expiry, and why
// verification fails when it does.
#pragma once
#include <expected>
#include <string>
#include <utility>

#include "duration.hpp"
#include "error.hpp"
#include "settings.hpp"

namespace kpipe {

struct TlsPeer {
    std::string protocol;  // TLSv1.3
    std::string subject, issuer, names;
    int days_left = 0;
    bool verified = false;
    int verify_code = 0;       // X509_V_* (0 when verified)
    std::string verify_error;  // OpenSSL's words for verify_code
    bool host_mismatch = false;
    bool untrusted = false;  // the chain does not lead to a trusted CA
    bool expired = false;
    bool client_cert_requested = false;  // the broker asked for one and none is configured
};

// Connects to host:port and shakes hands; an error (exit 4) when no TLS handshake
// completes (e.g. the port speaks plaintext), with `no_tls` set in that case.
struct TlsProbeError {
    Error error;
    bool no_tls = false;
};
std::expected<TlsPeer, TlsProbeError> probe_tls(const std::string& host, const std::string& port, const Settings& s,
                                                Millis timeout);

// The first bootstrap server split into host and port.
std::pair<std::string, std::string> first_bootstrap(const Settings& s);

}  // namespace kpipe
