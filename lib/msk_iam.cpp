#include "msk_iam.hpp"

#include <memory>

#include <openssl/evp.h>

#include "version.hpp"

namespace kpipe {

namespace {

std::string base64url_unpadded(std::string_view data) {
    std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(data.data()), static_cast<int>(data.size()));
    out.resize(static_cast<size_t>(n));
    while (!out.empty() && out.back() == '=') out.pop_back();
    for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
    return out;
}

}  // namespace

std::string msk_iam_user_agent() { return std::string("kpipe/") + version; }

MskIamToken msk_iam_token(const sigv4::Credentials& c, const std::string& region, int64_t epoch_s,
                          std::string_view user_agent) {
    sigv4::Request r;
    r.host = "kafka." + region + ".amazonaws.com";
    r.query = {{"Action", "kafka-cluster:Connect"}};
    auto signed_url = sigv4::presign(r, c, {region, "kafka-cluster"}, epoch_s, msk_iam_token_seconds);
    std::string url = signed_url.url + "&User-Agent=" + sigv4::uri_encode(user_agent);
    return {base64url_unpadded(url), (epoch_s + msk_iam_token_seconds) * 1000};
}

}  // namespace kpipe
