// AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html):
// the canonical request, the string to sign and the signature, hashed and keyed with
// OpenSSL's SHA-256 and HMAC. Pure functions of their arguments (the time is one), so
// AWS's published test vectors check them (tests/unit/sigv4.cpp).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kpipe::sigv4 {

struct Credentials {
    std::string access_key;
    std::string secret_key;
    std::string session_token;  // "" for long-term keys
};

struct Scope {
    std::string region;
    std::string service;
};

struct Request {
    std::string method = "GET";
    std::string host;
    std::string path = "/";  // decoded; normalized and encoded when signed
    std::vector<std::pair<std::string, std::string>> query;    // decoded names and values, in order
    std::vector<std::pair<std::string, std::string>> headers;  // besides host and x-amz-date
    std::string body;
    // Presigned: "UNSIGNED-PAYLOAD" in place of the body's hash, as S3 signs; other
    // services (and AWS's MSK signers) sign the hash of the (empty) body.
    bool unsigned_payload = false;
};

struct Signed {
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature;      // lowercase hex
    std::string authorization;  // the Authorization header (header signing only)
    std::string url;            // https://host/path?query (query signing only)
};

std::string hex_sha256(std::string_view data);
// RFC 3986 percent-encoding of everything but unreserved characters (A-Z a-z 0-9 - _ . ~).
std::string uri_encode(std::string_view text);
// 20150830T123600Z for a time in seconds since the epoch (UTC).
std::string amz_date(int64_t epoch_s);

// Signs with an Authorization header (x-amz-date, and x-amz-security-token with a
// session token, are added to the signed headers).
Signed sign_headers(const Request& r, const Credentials& c, const Scope& s, int64_t epoch_s);
// Signs in the query string: a presigned URL valid for `expires_s` seconds, its
// parameters in the order AWS's SDKs write them (the request's own first).
Signed presign(const Request& r, const Credentials& c, const Scope& s, int64_t epoch_s, int expires_s);

}  // namespace kpipe::sigv4
