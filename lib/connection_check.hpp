// `kpipe config check`: connect with the effective settings one step at a time — DNS,
// TCP, TLS handshake, token, SASL, metadata, what the principal may do — timing each,
// and stop at the first that fails with the cause in plain words and the usual fix.
#pragma once
#include <string>
#include <vector>

#include "error.hpp"
#include "settings.hpp"

namespace kpipe {

struct CheckStep {
    std::string name;    // DNS, TCP, TLS, TOKEN, SASL, METADATA, TOPICS, GROUPS
    bool ok = true;
    bool skipped = false;  // not used by these settings (e.g. TLS for PLAINTEXT)
    double ms = 0;
    std::string detail;  // what was found, or why it failed
    std::string fix;     // for a failed step: what to change
};

struct CheckReport {
    std::vector<CheckStep> steps;
    Exit exit = Exit::ok;  // 4 for a connection or authentication failure, 1 for another
};

CheckReport check_connection(const Settings& s);

}  // namespace kpipe
