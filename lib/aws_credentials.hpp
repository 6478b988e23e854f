// AWS credentials found the way AWS's SDKs look for them: the environment
// (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), then the shared
// credentials file (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials) and config
// file (AWS_CONFIG_FILE, default ~/.aws/config) for the profile named by the kpipe
// profile's aws_profile, else AWS_PROFILE, else "default". A named aws_profile skips
// the environment's keys, as the SDKs do for an explicit profile.
#pragma once
#include <string>

#include "error.hpp"
#include "settings.hpp"
#include "sigv4.hpp"

namespace kpipe {

struct AwsCredentials {
    sigv4::Credentials keys;
    std::string source;  // e.g. "environment (AWS_ACCESS_KEY_ID)", "/home/u/.aws/credentials [prod]"
};

// Exit 4 when none are found, naming where kpipe looked.
Result<AwsCredentials> load_aws_credentials(const std::string& aws_profile, const EnvLookup& env);

}  // namespace kpipe
