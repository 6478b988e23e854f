#include "token_source.hpp"

#include <chrono>

#include "aws_credentials.hpp"
#include "msk_iam.hpp"
#include "oauth_client.hpp"

namespace kpipe {

namespace {

class OAuthSource : public TokenSource {
public:
    explicit OAuthSource(OAuthClient c) : client_(std::move(c)) {}
    Result<Token> fetch() override { return fetch_oauth_token(client_); }

private:
    OAuthClient client_;
};

// Credentials are read at every refresh, so renewed session tokens are picked up.
class MskIamSource : public TokenSource {
public:
    MskIamSource(std::string region, std::string profile, EnvLookup env)
        : region_(std::move(region)), profile_(std::move(profile)), env_(std::move(env)) {}
    Result<Token> fetch() override {
        auto creds = load_aws_credentials(profile_, env_);
        if (!creds) return std::unexpected(creds.error());
        auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
        auto t = msk_iam_token(creds->keys, region_, now.count(), msk_iam_user_agent());
        return Token{t.token, t.expires_ms, creds->keys.access_key,
                     fmt::format("SigV4-signed for {} with credentials from {}, expires in {} s", region_, creds->source,
                                 msk_iam_token_seconds)};
    }

private:
    std::string region_, profile_;
    EnvLookup env_;
};

}  // namespace

Result<std::unique_ptr<TokenSource>> token_source_for(const Settings& s, const EnvLookup& env) {
    std::string kind = s.auth_value("auth.kind");
    if (kind == "oauth")
        return std::make_unique<OAuthSource>(OAuthClient{s.auth_value("oauth.token_endpoint"),
                                                         s.auth_value("oauth.client_id"),
                                                         s.auth_value("oauth.client_secret"), s.auth_value("oauth.scope"),
                                                         s.auth_value("oauth.token_ca_file"), s.timeout});
    if (kind == "msk-iam")
        return std::make_unique<MskIamSource>(s.auth_value("aws.region"), s.auth_value("aws.profile"), env);
    return std::unique_ptr<TokenSource>();
}

}  // namespace kpipe
