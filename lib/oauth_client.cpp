#include "oauth_client.hpp"

#include <chrono>
#include <memory>

#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "c_free.hpp"

namespace kpipe {

namespace {

size_t collect(char* data, size_t size, size_t n, void* out) noexcept {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

std::string escaped(CURL* curl, const std::string& s) {
    std::unique_ptr<char, CFree<curl_free>> e(curl_easy_escape(curl, s.c_str(), static_cast<int>(s.size())));
    return e ? e.get() : "";
}

std::string base64url_decode(std::string s) {
    for (auto& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (s.size() % 4) s += '=';
    std::string out(s.size(), '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(s.data()),
                            static_cast<int>(s.size()));
    if (n < 0) return {};
    size_t pad = s.size() - s.find_last_not_of('=') - 1;
    out.resize(static_cast<size_t>(n) - std::min<size_t>(pad, static_cast<size_t>(n)));
    return out;
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

JwtClaims jwt_claims(const std::string& token) {
    JwtClaims out;
    auto a = token.find('.'), b = token.find('.', a == std::string::npos ? a : a + 1);
    if (a == std::string::npos || b == std::string::npos) return out;
    auto doc = nlohmann::json::parse(base64url_decode(token.substr(a + 1, b - a - 1)), nullptr, false);
    if (!doc.is_object()) return out;
    if (auto e = doc.find("exp"); e != doc.end() && e->is_number()) out.exp_ms = e->get<int64_t>() * 1000;
    if (auto s = doc.find("sub"); s != doc.end() && s->is_string()) out.sub = s->get<std::string>();
    return out;
}

Result<Token> fetch_oauth_token(const OAuthClient& c) {
    static const bool init = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    std::unique_ptr<CURL, CFree<curl_easy_cleanup>> curl(init ? curl_easy_init() : nullptr);
    if (!curl) return fail(Exit::runtime, "cannot start an HTTPS client (libcurl)");
    CURL* h = curl.get();
    std::string body = "grant_type=client_credentials";
    if (!c.scope.empty()) body += "&scope=" + escaped(h, c.scope);
    std::string answer;
    char curl_error[CURL_ERROR_SIZE] = "";
    std::string user = escaped(h, c.client_id), password = escaped(h, c.client_secret);
    curl_easy_setopt(h, CURLOPT_URL, c.token_endpoint.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(h, CURLOPT_USERNAME, user.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, password.c_str());
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(c.timeout.count()));
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "kpipe");
    if (!c.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, c.ca_file.c_str());
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK)
        return fail(Exit::connect, "cannot get a token from {}: {}", c.token_endpoint,
                    *curl_error ? curl_error : curl_easy_strerror(rc));
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    auto doc = nlohmann::json::parse(answer, nullptr, false);
    auto text = [&](const char* key) {
        auto it = doc.is_object() ? doc.find(key) : doc.end();
        return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (status != 200) {
        std::string why = text("error");
        if (auto d = text("error_description"); !d.empty()) why += (why.empty() ? "" : ": ") + d;
        if (status == 401 || why.starts_with("invalid_client"))
            why = "the client id or secret is wrong (" + (why.empty() ? "HTTP 401" : why) + ")";
        return fail(Exit::connect, "the token endpoint {} refused: HTTP {}{}{}", c.token_endpoint, status,
                    why.empty() ? "" : ": ", why);
    }
    Token t;
    t.value = text("access_token");
    if (t.value.empty()) return fail(Exit::connect, "the token endpoint {} answered without an access_token", c.token_endpoint);
    auto claims = jwt_claims(t.value);
    int64_t now = now_ms();
    if (claims.exp_ms) t.expires_ms = claims.exp_ms;
    else if (auto e = doc.find("expires_in"); e != doc.end() && e->is_number()) t.expires_ms = now + e->get<int64_t>() * 1000;
    else t.expires_ms = now + 3'600'000;
    if (t.expires_ms <= now)
        return fail(Exit::connect, "the token from {} has already expired ({} s ago): check the token endpoint and this "
                    "machine's clock", c.token_endpoint, (now - t.expires_ms) / 1000);
    t.principal = claims.sub.empty() ? c.client_id : claims.sub;
    t.about = fmt::format("from {} for {}, expires in {} s", c.token_endpoint, t.principal, (t.expires_ms - now) / 1000);
    return t;
}

}  // namespace kpipe
