// OAUTHBEARER tokens that kpipe gets itself, for librdkafka's token refresh callback
// (lib/kafka/oauth.cpp): fetched from an OAuth token endpoint (profile kind oauth;
// Debian's librdkafka 2.0.2 has no OIDC support of its own) or signed with SigV4 for
// AWS MSK IAM (kind msk-iam).
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "error.hpp"
#include "settings.hpp"

namespace kpipe {

struct Token {
    std::string value;
    int64_t expires_ms = 0;  // epoch ms
    std::string principal;
    std::string about;  // for `config check`: where it came from and what it says
};

class TokenSource {
public:
    virtual ~TokenSource() = default;
    // A fresh token; exit 4 with the reason when none can be had.
    virtual Result<Token> fetch() = 0;
};

// The source the settings call for (auth.kind), or null when kpipe gets no token itself.
Result<std::unique_ptr<TokenSource>> token_source_for(const Settings& s, const EnvLookup& env);

}  // namespace kpipe
