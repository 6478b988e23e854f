// lib/sigv4 against AWS's published Signature Version 4 test vectors (the
// aws-sig-v4-test-suite: credentials AKIDEXAMPLE, us-east-1, service "service",
// 2015-08-30T12:36:00Z) and the presigned-URL example of the S3 documentation, and
// lib/msk_iam's token layout.
#include <doctest/doctest.h>

#include <openssl/evp.h>

#include "msk_iam.hpp"
#include "sigv4.hpp"

using namespace kpipe;
using namespace kpipe::sigv4;

namespace {

const Credentials suite_keys{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const Scope suite_scope{"us-east-1", "service"};
constexpr int64_t suite_time = 1440938160;  // 20150830T123600Z

std::string signature_of(Request r, const Credentials& c = suite_keys) {
    r.host = "example.amazonaws.com";
    return sign_headers(r, c, suite_scope, suite_time).signature;
}

}  // namespace

TEST_CASE("sigv4: get-vanilla, with the whole Authorization header and canonical request") {
    Request r;
    r.host = "example.amazonaws.com";
    auto s = sign_headers(r, suite_keys, suite_scope, suite_time);
    CHECK(s.canonical_request ==
          "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(s.string_to_sign ==
          "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
          "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    CHECK(s.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
          "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST_CASE("sigv4: paths (get-unreserved, get-slashes)") {
    Request r;
    r.path = "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    CHECK(signature_of(r) == "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
    r.path = "//example//";
    CHECK(signature_of(r) == "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84");
}

TEST_CASE("sigv4: query strings sorted by encoded name, then value") {
    Request r;
    r.query = {{"Param2", "value2"}, {"Param1", "value1"}};  // get-vanilla-query-order-key-case
    CHECK(signature_of(r) == "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    r.query = {{"Param1", "value2"}, {"Param1", "value1"}};  // get-vanilla-query-order-value
    CHECK(signature_of(r) == "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694");
    r.query = {{"\xe1\x88\xb4", "bar"}};  // get-vanilla-utf8-query
    CHECK(signature_of(r) == "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");
}

TEST_CASE("sigv4: headers joined, trimmed, spaces collapsed") {
    Request r;
    r.headers = {{"My-Header1", "value4"}, {"My-Header1", "value1"}, {"My-Header1", "value3"}, {"My-Header1", "value2"}};
    CHECK(signature_of(r) == "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01");  // get-header-value-order
    r.headers = {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}};
    CHECK(signature_of(r) == "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");  // get-header-key-duplicate
    r.headers = {{"My-Header1", " value1"}, {"My-Header2", "\"a   b   c\""}};
    CHECK(signature_of(r) == "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");  // get-header-value-trim
}

TEST_CASE("sigv4: a body is hashed (post-x-www-form-urlencoded)") {
    Request r;
    r.method = "POST";
    r.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    r.body = "Param1=value1";
    CHECK(signature_of(r) == "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST_CASE("sigv4: a session token is signed as x-amz-security-token") {
    Credentials c = suite_keys;
    c.session_token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    Request r;
    r.host = "example.amazonaws.com";
    auto s = sign_headers(r, c, suite_scope, suite_time);
    CHECK(s.authorization.find("SignedHeaders=host;x-amz-date;x-amz-security-token,") != std::string::npos);
    CHECK(s.signature == "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8");
}

TEST_CASE("sigv4: a presigned URL (the S3 documentation's example)") {
    Request r;
    r.host = "examplebucket.s3.amazonaws.com";
    r.path = "/test.txt";
    r.unsigned_payload = true;
    Credentials c{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
    auto s = presign(r, c, {"us-east-1", "s3"}, 1369353600, 86400);  // 20130524T000000Z
    CHECK(s.signature == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    CHECK(s.url ==
          "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
          "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires="
          "86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST_CASE("msk iam: a base64url token of the presigned kafka-cluster:Connect URL, 15 minutes") {
    Credentials c{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "tok/en+x="};
    auto t = msk_iam_token(c, "us-east-1", suite_time, "kpipe/test");
    CHECK(t.expires_ms == (suite_time + 900) * 1000);
    CHECK(t.token.find('=') == std::string::npos);
    CHECK(t.token.find('+') == std::string::npos);
    CHECK(t.token.find('/') == std::string::npos);
    std::string b64 = t.token;
    for (auto& ch : b64) ch = ch == '-' ? '+' : ch == '_' ? '/' : ch;
    while (b64.size() % 4) b64 += '=';
    std::string url(b64.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(url.data()), reinterpret_cast<const unsigned char*>(b64.data()),
                            static_cast<int>(b64.size()));
    url.resize(static_cast<size_t>(n));
    url = url.substr(0, url.find('\0'));
    CHECK(url.starts_with("https://kafka.us-east-1.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm="
                          "AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fkafka-cluster%2F"
                          "aws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&"
                          "X-Amz-Security-Token=tok%2Fen%2Bx%3D&X-Amz-Signature="));
    CHECK(url.ends_with("&User-Agent=kpipe%2Ftest"));
}
