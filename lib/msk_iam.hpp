// The SASL/OAUTHBEARER token AWS MSK takes for IAM authentication: a presigned
// "kafka-cluster:Connect" URL for https://kafka.REGION.amazonaws.com/, base64url
// without padding, built the way AWS's signer libraries (aws-msk-iam-sasl-signer-*)
// build it. It is valid for 15 minutes; librdkafka asks for a new one before then.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "sigv4.hpp"

namespace kpipe {

struct MskIamToken {
    std::string token;
    int64_t expires_ms = 0;
};

inline constexpr int msk_iam_token_seconds = 900;

MskIamToken msk_iam_token(const sigv4::Credentials& c, const std::string& region, int64_t epoch_s,
                          std::string_view user_agent);

// "kpipe/VERSION", the User-Agent parameter of kpipe's tokens.
std::string msk_iam_user_agent();

}  // namespace kpipe
