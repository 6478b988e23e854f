// Why a connection to Kafka failed, in plain words, with the usual fix: librdkafka's
// reason (its log or error text) read for the common mistakes with TLS and SASL (wrong
// port for TLS, plaintext against TLS, untrusted CA, host name mismatch, wrong
// password, SCRAM vs PLAIN, a token refused, a missing client certificate).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "settings.hpp"

namespace kpipe {

struct Diagnosis {
    std::string step;   // where it failed: TCP, TLS, SASL, TOKEN
    std::string cause;  // plain words
    std::string fix;    // what to change
};

// True for failures a retry cannot mend (TLS verification, refused credentials): kpipe
// gives up at once instead of waiting out --timeout.
bool is_permanent_failure(std::string_view reason);
// True for a reason worth keeping as "the last error" although librdkafka logs it below
// warning level (e.g. plaintext spoken to a TLS listener).
bool is_connection_failure(std::string_view reason);

// The diagnosis of `reason`; for a certificate that failed verification kpipe makes a
// TLS handshake of its own (lib/tls_probe.hpp) to tell an unknown CA from a host name
// the certificate does not hold.
std::optional<Diagnosis> diagnose(std::string_view reason, const Settings& s);

// When kpipe speaks plaintext (no TLS configured) and the first bootstrap broker's port
// completes a TLS handshake: the diagnosis "kpipe spoke plaintext to a listener that
// expects TLS". Makes that handshake (up to 3 s).
std::optional<Diagnosis> plaintext_to_tls(const Settings& s);

// One line: "CAUSE (fix: FIX) [REASON]".
std::string explained(std::string_view reason, const Diagnosis& d);
// The same for `reason` when it is diagnosed, else REASON.
std::string explained(std::string_view reason, const Settings& s);

}  // namespace kpipe
