#include "sigv4.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

namespace kpipe::sigv4 {

namespace {

std::string hex(const unsigned char* p, size_t n) {
    std::string out;
    out.reserve(2 * n);
    for (size_t i = 0; i < n; ++i) out += fmt::format("{:02x}", p[i]);
    return out;
}

std::string hmac(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &n);
    return std::string(reinterpret_cast<char*>(out), n);
}

// Path segments with "", "." and ".." resolved, each encoded twice (every service but
// S3 signs the encoded path encoded again); a trailing slash is kept.
std::string canonical_path(std::string_view path) {
    std::vector<std::string_view> segments;
    for (size_t at = 0; at <= path.size();) {
        size_t slash = path.find('/', at);
        if (slash == std::string_view::npos) slash = path.size();
        std::string_view seg = path.substr(at, slash - at);
        at = slash + 1;
        if (seg.empty() || seg == ".") continue;
        if (seg == "..") {
            if (!segments.empty()) segments.pop_back();
            continue;
        }
        segments.push_back(seg);
    }
    std::string out;
    for (auto seg : segments) out += "/" + uri_encode(uri_encode(seg));
    if (out.empty() || (path.size() > 1 && path.back() == '/')) out += "/";
    return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

std::string canonical_query(const Pairs& query) {
    Pairs encoded;
    for (const auto& [k, v] : query) encoded.emplace_back(uri_encode(k), uri_encode(v));
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [k, v] : encoded) out += (out.empty() ? "" : "&") + k + "=" + v;
    return out;
}

std::string collapse_spaces(std::string_view v) {
    size_t b = v.find_first_not_of(" \t"), e = v.find_last_not_of(" \t");
    if (b == std::string_view::npos) return {};
    std::string out;
    for (char c : v.substr(b, e - b + 1)) {
        if (c == '\t') c = ' ';
        if (c == ' ' && !out.empty() && out.back() == ' ') continue;
        out += c;
    }
    return out;
}

struct Headers {
    std::string canonical;  // "name:value\n" each
    std::string signed_names;
};

Headers canonical_headers(const Pairs& headers) {
    std::map<std::string, std::string> joined;
    for (const auto& [k, v] : headers) {
        std::string name = k;
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
        auto [it, fresh] = joined.try_emplace(name, collapse_spaces(v));
        if (!fresh) it->second += "," + collapse_spaces(v);
    }
    Headers out;
    for (const auto& [k, v] : joined) {
        out.canonical += k + ":" + v + "\n";
        out.signed_names += (out.signed_names.empty() ? "" : ";") + k;
    }
    return out;
}

std::string credential_scope(const Scope& s, int64_t epoch_s) {
    return fmt::format("{}/{}/{}/aws4_request", amz_date(epoch_s).substr(0, 8), s.region, s.service);
}

// Fills in the canonical request, the string to sign and the signature.
void sign(Signed& out, const Request& r, const Pairs& query, const Headers& h, std::string_view payload_hash,
          const Credentials& c, const Scope& s, int64_t epoch_s) {
    out.canonical_request = fmt::format("{}\n{}\n{}\n{}\n{}\n{}", r.method, canonical_path(r.path),
                                        canonical_query(query), h.canonical, h.signed_names, payload_hash);
    std::string date = amz_date(epoch_s);
    out.string_to_sign = fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", date, credential_scope(s, epoch_s),
                                     hex_sha256(out.canonical_request));
    std::string key = hmac("AWS4" + c.secret_key, date.substr(0, 8));
    key = hmac(key, s.region);
    key = hmac(key, s.service);
    key = hmac(key, "aws4_request");
    std::string sig = hmac(key, out.string_to_sign);
    out.signature = hex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
}

}  // namespace

std::string hex_sha256(std::string_view data) {
    unsigned char out[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
    return hex(out, sizeof out);
}

std::string uri_encode(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
        else out += fmt::format("%{:02X}", c);
    }
    return out;
}

std::string amz_date(int64_t epoch_s) {
    std::time_t t = static_cast<std::time_t>(epoch_s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

Signed sign_headers(const Request& r, const Credentials& c, const Scope& s, int64_t epoch_s) {
    Pairs headers = r.headers;
    headers.emplace_back("host", r.host);
    headers.emplace_back("x-amz-date", amz_date(epoch_s));
    if (!c.session_token.empty()) headers.emplace_back("x-amz-security-token", c.session_token);
    Headers h = canonical_headers(headers);
    Signed out;
    sign(out, r, r.query, h, hex_sha256(r.body), c, s, epoch_s);
    out.authorization = fmt::format("AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}", c.access_key,
                                    credential_scope(s, epoch_s), h.signed_names, out.signature);
    return out;
}

Signed presign(const Request& r, const Credentials& c, const Scope& s, int64_t epoch_s, int expires_s) {
    Pairs query = r.query;
    query.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
    query.emplace_back("X-Amz-Credential", c.access_key + "/" + credential_scope(s, epoch_s));
    query.emplace_back("X-Amz-Date", amz_date(epoch_s));
    query.emplace_back("X-Amz-Expires", std::to_string(expires_s));
    query.emplace_back("X-Amz-SignedHeaders", "host");
    if (!c.session_token.empty()) query.emplace_back("X-Amz-Security-Token", c.session_token);
    Signed out;
    sign(out, r, query, canonical_headers({{"host", r.host}}), r.unsigned_payload ? "UNSIGNED-PAYLOAD" : hex_sha256(r.body),
         c, s, epoch_s);
    query.emplace_back("X-Amz-Signature", out.signature);
    std::string path;
    for (char ch : r.path.empty() ? std::string("/") : r.path)
        path += ch == '/' ? std::string("/") : uri_encode(std::string_view(&ch, 1));
    out.url = "https://" + r.host + path + "?";
    bool first = true;
    for (const auto& [k, v] : query) {
        out.url += (first ? "" : "&") + uri_encode(k) + "=" + uri_encode(v);
        first = false;
    }
    return out;
}

}  // namespace kpipe::sigv4
