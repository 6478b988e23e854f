#include "aws_credentials.hpp"

#include <fstream>
#include <map>

namespace kpipe {

namespace {

std::string trim(std::string s) {
    size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// The keys of section `section` of an INI file (empty when the file or section is missing).
std::map<std::string, std::string> ini_section(const std::string& path, const std::string& section) {
    std::map<std::string, std::string> out;
    std::ifstream in(path);
    std::string line;
    bool inside = false;
    while (std::getline(in, line)) {
        line = trim(line);
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line.front() == '[' && line.back() == ']') {
            inside = trim(line.substr(1, line.size() - 2)) == section;
            continue;
        }
        auto eq = line.find('=');
        if (inside && eq != std::string::npos) out[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
    }
    return out;
}

std::string env_or(const EnvLookup& env, const char* name, std::string fallback) {
    auto v = env(name);
    return v && !v->empty() ? *v : fallback;
}

}  // namespace

Result<AwsCredentials> load_aws_credentials(const std::string& aws_profile, const EnvLookup& env) {
    if (aws_profile.empty()) {
        auto id = env("AWS_ACCESS_KEY_ID"), secret = env("AWS_SECRET_ACCESS_KEY");
        if (id && secret && !id->empty() && !secret->empty())
            return AwsCredentials{{*id, *secret, env_or(env, "AWS_SESSION_TOKEN", "")},
                                  "environment (AWS_ACCESS_KEY_ID)"};
    }
    std::string home = env_or(env, "HOME", "");
    std::string profile = aws_profile.empty() ? env_or(env, "AWS_PROFILE", "default") : aws_profile;
    std::string credentials = env_or(env, "AWS_SHARED_CREDENTIALS_FILE", home + "/.aws/credentials");
    std::string config = env_or(env, "AWS_CONFIG_FILE", home + "/.aws/config");
    struct Place {
        std::string file, section;
    };
    for (const Place& p : {Place{credentials, profile},
                           Place{config, profile == "default" ? profile : "profile " + profile}}) {
        auto keys = ini_section(p.file, p.section);
        auto id = keys.find("aws_access_key_id"), secret = keys.find("aws_secret_access_key");
        if (id == keys.end() || secret == keys.end()) continue;
        std::string token = keys.contains("aws_session_token") ? keys["aws_session_token"] : "";
        return AwsCredentials{{id->second, secret->second, token}, fmt::format("{} [{}]", p.file, p.section)};
    }
    return fail(Exit::connect,
                "no AWS credentials for MSK IAM: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
                "AWS_SESSION_TOKEN for temporary ones), or put aws_access_key_id and aws_secret_access_key in "
                "profile '{}' of {} (the AWS profile comes from aws_profile, else AWS_PROFILE)",
                profile, credentials);
}

}  // namespace kpipe
