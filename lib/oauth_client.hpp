// The OAuth 2.0 client-credentials grant (RFC 6749 section 4.4) over HTTPS with
// libcurl: POST grant_type=client_credentials[&scope=...] with the client id and secret
// as HTTP Basic credentials; the answer's access_token is the OAUTHBEARER token.
#pragma once
#include <string>

#include "duration.hpp"
#include "token_source.hpp"

namespace kpipe {

struct OAuthClient {
    std::string token_endpoint;
    std::string client_id;
    std::string client_secret;
    std::string scope;    // "" for none
    std::string ca_file;  // "" for the system's CA store
    Millis timeout{10'000};
};

// Exit 4 naming the endpoint and its answer (never the secret) when no token comes back.
Result<Token> fetch_oauth_token(const OAuthClient& c);

// The token's lifetime and subject when it is a JWT: its exp (epoch ms) and sub claims.
struct JwtClaims {
    int64_t exp_ms = 0;
    std::string sub;
};
JwtClaims jwt_claims(const std::string& token);

}  // namespace kpipe
