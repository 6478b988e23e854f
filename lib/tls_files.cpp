#include "tls_files.hpp"

#include <memory>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "c_free.hpp"
#include "file_text.hpp"

namespace kpipe {

namespace {

Result<std::string> read_file(const std::string& path, const std::string& what) {
    auto text = read_file_text(path);
    if (!text && what != path) return fail(Exit::usage, "{}: {}", what, text.error().message);
    return text;
}

std::string openssl_error() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!e) return "unknown error";
    const char* reason = ERR_reason_error_string(e);
    return reason ? reason : "unknown error";
}

using BioPtr = std::unique_ptr<BIO, CFree<BIO_free_all>>;

std::string bio_text(BIO* b) {
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

std::string pem_of(X509* cert) {
    BioPtr b(BIO_new(BIO_s_mem()));
    PEM_write_bio_X509(b.get(), cert);
    return bio_text(b.get());
}

}  // namespace

Result<bool> is_pkcs12(const std::string& path) {
    auto text = read_file(path, path);
    if (!text) return std::unexpected(text.error());
    if (text->find("-----BEGIN") != std::string::npos) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(text->data());
    std::unique_ptr<PKCS12, CFree<PKCS12_free>> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(text->size())));
    ERR_clear_error();
    return p12 != nullptr;
}

Result<PemBundle> read_pkcs12(const std::string& path, const std::string& password, const std::string& what) {
    auto text = read_file(path, what);
    if (!text) return std::unexpected(text.error());
    const auto* p = reinterpret_cast<const unsigned char*>(text->data());
    std::unique_ptr<PKCS12, CFree<PKCS12_free>> p12(d2i_PKCS12(nullptr, &p, static_cast<long>(text->size())));
    if (!p12) return fail(Exit::usage, "{}: {} is neither PEM nor PKCS#12 ({})", what, path, openssl_error());
    if (!PKCS12_verify_mac(p12.get(), password.c_str(), static_cast<int>(password.size())) &&
        !(password.empty() && PKCS12_verify_mac(p12.get(), nullptr, 0)))
        return fail(Exit::usage, "{}: cannot open the PKCS#12 bundle {}: wrong password (key_password)", what, path);
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    STACK_OF(X509)* ca = nullptr;
    if (!PKCS12_parse(p12.get(), password.c_str(), &key, &cert, &ca))
        return fail(Exit::usage, "{}: cannot open the PKCS#12 bundle {}: {}", what, path, openssl_error());
    std::unique_ptr<EVP_PKEY, CFree<EVP_PKEY_free>> key_owner(key);
    std::unique_ptr<X509, CFree<X509_free>> cert_owner(cert);
    auto free_stack = [](STACK_OF(X509)* s) { sk_X509_pop_free(s, X509_free); };
    std::unique_ptr<STACK_OF(X509), decltype(free_stack)> ca_owner(ca, free_stack);

    PemBundle out;
    if (key) {
        BioPtr b(BIO_new(BIO_s_mem()));
        PEM_write_bio_PKCS8PrivateKey(b.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
        out.key = bio_text(b.get());
    }
    for (int i = 0; ca && i < sk_X509_num(ca); ++i) out.chain += pem_of(sk_X509_value(ca, i));
    out.cert = (cert ? pem_of(cert) : std::string()) + out.chain;
    if (out.cert.empty()) return fail(Exit::usage, "{}: the PKCS#12 bundle {} holds no certificate", what, path);
    return out;
}

}  // namespace kpipe
