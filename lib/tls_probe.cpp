#include "tls_probe.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "c_free.hpp"
#include "net_probe.hpp"

namespace kpipe {

namespace {

std::string name_text(const X509_NAME* n) {
    std::unique_ptr<BIO, CFree<BIO_free>> b(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(b.get(), n, 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    long len = BIO_get_mem_data(b.get(), &data);
    return len > 0 ? std::string(data, static_cast<size_t>(len)) : std::string();
}

std::string alt_names(X509* cert) {
    std::string out;
    auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
        const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
        std::string one;
        if (g->type == GEN_DNS) {
            one.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                       static_cast<size_t>(ASN1_STRING_length(g->d.dNSName)));
        } else if (g->type == GEN_IPADD) {
            const unsigned char* ip = ASN1_STRING_get0_data(g->d.iPAddress);
            if (ASN1_STRING_length(g->d.iPAddress) == 4) one = fmt::format("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]);
            else one = "(IPv6 address)";
        }
        if (!one.empty()) out += (out.empty() ? "" : ", ") + one;
    }
    GENERAL_NAMES_free(names);
    return out;
}

bool is_ip(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

int note_cert_request(SSL* ssl, X509**, EVP_PKEY**) noexcept {
    *static_cast<bool*>(SSL_get_app_data(ssl)) = true;
    return 0;  // no certificate
}

std::string openssl_errors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        const char* r = ERR_reason_error_string(e);
        if (r) out += (out.empty() ? "" : "; ") + std::string(r);
    }
    return out;
}

// Loads the CA and client certificate settings librdkafka would use.
// `password` must outlive the context (OpenSSL keeps a pointer to it).
Result<void> configure(SSL_CTX* ctx, const Settings& s, std::string& password) {
    std::string ca_pem = s.kafka_value("ssl.ca.pem"), ca = s.kafka_value("ssl.ca.location");
    if (!ca_pem.empty()) {
        std::unique_ptr<BIO, CFree<BIO_free>> b(BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size())));
        X509_STORE* store = SSL_CTX_get_cert_store(ctx);
        while (X509* c = PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr)) {
            X509_STORE_add_cert(store, c);
            X509_free(c);
        }
        ERR_clear_error();
    } else if (!ca.empty() && ca != "probe") {
        struct stat st{};
        bool dir = ::stat(ca.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
        if (!SSL_CTX_load_verify_locations(ctx, dir ? nullptr : ca.c_str(), dir ? ca.c_str() : nullptr))
            return fail(Exit::usage, "cannot read the CA certificates in {} (ssl.ca.location): {}", ca, openssl_errors());
    } else {
        SSL_CTX_set_default_verify_paths(ctx);
    }
    password = s.kafka_value("ssl.key.password");
    SSL_CTX_set_default_passwd_cb_userdata(ctx, password.data());
    std::string cert_pem = s.kafka_value("ssl.certificate.pem"), key_pem = s.kafka_value("ssl.key.pem");
    std::string cert = s.kafka_value("ssl.certificate.location"), key = s.kafka_value("ssl.key.location");
    if (!cert_pem.empty()) {
        std::unique_ptr<BIO, CFree<BIO_free>> b(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
        std::unique_ptr<X509, CFree<X509_free>> c(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
        if (c) SSL_CTX_use_certificate(ctx, c.get());
        while (X509* extra = PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr))
            if (!SSL_CTX_add_extra_chain_cert(ctx, extra)) X509_free(extra);
        ERR_clear_error();
    } else if (!cert.empty() && !SSL_CTX_use_certificate_chain_file(ctx, cert.c_str())) {
        return fail(Exit::usage, "cannot read the client certificate {} (cert_file): {}", cert, openssl_errors());
    }
    if (!key_pem.empty()) {
        std::unique_ptr<BIO, CFree<BIO_free>> b(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
        std::unique_ptr<EVP_PKEY, CFree<EVP_PKEY_free>> k(
            PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, password.data()));
        if (k) SSL_CTX_use_PrivateKey(ctx, k.get());
    } else if (!key.empty() && !SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM)) {
        return fail(Exit::usage, "cannot read the client key {} (key_file, key_password): {}", key, openssl_errors());
    }
    return {};
}

}  // namespace

std::pair<std::string, std::string> first_bootstrap(const Settings& s) {
    std::string first = s.brokers().substr(0, s.brokers().find(','));
    for (std::string_view scheme : {"ssl://", "sasl_ssl://", "plaintext://", "sasl_plaintext://"})
        if (first.starts_with(scheme)) first = first.substr(scheme.size());
    if (first.starts_with('[')) {
        auto close = first.find(']');
        std::string host = first.substr(1, close - 1);
        std::string port = close + 2 <= first.size() ? first.substr(close + 2) : "9092";
        return {host, port.empty() ? "9092" : port};
    }
    auto colon = first.rfind(':');
    if (colon == std::string::npos) return {first, "9092"};
    return {first.substr(0, colon), first.substr(colon + 1)};
}

std::expected<TlsPeer, TlsProbeError> probe_tls(const std::string& host, const std::string& port, const Settings& s,
                                                Millis timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto addrs = resolve(host, port);
    if (!addrs) return std::unexpected(TlsProbeError{addrs.error()});
    auto conn = connect_tcp(*addrs, port, timeout);
    if (!conn) return std::unexpected(TlsProbeError{conn.error()});
    Socket sock(conn->fd);

    std::string password;
    std::unique_ptr<SSL_CTX, CFree<SSL_CTX_free>> ctx(SSL_CTX_new(TLS_client_method()));
    if (auto ok = configure(ctx.get(), s, password); !ok) return std::unexpected(TlsProbeError{ok.error()});
    bool requested = false;
    SSL_CTX_set_client_cert_cb(ctx.get(), note_cert_request);
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);  // verified below, to say why
    std::unique_ptr<SSL, CFree<SSL_free>> ssl(SSL_new(ctx.get()));
    SSL_set_app_data(ssl.get(), &requested);
    SSL_set_fd(ssl.get(), sock.fd);
    if (!is_ip(host)) SSL_set_tlsext_host_name(ssl.get(), host.c_str());
    ERR_clear_error();
    for (;;) {
        int rc = SSL_connect(ssl.get());
        if (rc == 1) break;
        int err = SSL_get_error(ssl.get(), rc);
        auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now()).count();
        if ((err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) && left > 0) {
            pollfd p{sock.fd, static_cast<short>(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
            if (::poll(&p, 1, static_cast<int>(left)) > 0) continue;
        }
        std::string why = openssl_errors();
        bool no_tls = why.find("wrong version number") != std::string::npos ||
                      why.find("unexpected eof") != std::string::npos ||
                      why.find("packet length too long") != std::string::npos ||
                      (err == SSL_ERROR_SYSCALL && why.empty()) || err == SSL_ERROR_ZERO_RETURN;
        if (why.empty()) why = left <= 0 ? "no answer in time" : "the connection was closed";
        return std::unexpected(TlsProbeError{{Exit::connect, fmt::format("TLS handshake with {} failed: {}",
                                                                          conn->address, why)},
                                             no_tls});
    }
    TlsPeer peer;
    peer.protocol = SSL_get_version(ssl.get());
    peer.client_cert_requested = requested;
    std::unique_ptr<X509, CFree<X509_free>> cert(SSL_get1_peer_certificate(ssl.get()));
    if (!cert) return std::unexpected(TlsProbeError{{Exit::connect, "the broker presented no certificate"}});
    peer.subject = name_text(X509_get_subject_name(cert.get()));
    peer.issuer = name_text(X509_get_issuer_name(cert.get()));
    peer.names = alt_names(cert.get());
    int days = 0, secs = 0;
    ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(cert.get()));
    peer.days_left = days;
    long code = SSL_get_verify_result(ssl.get());
    peer.verify_code = static_cast<int>(code);
    peer.expired = code == X509_V_ERR_CERT_HAS_EXPIRED;
    peer.untrusted = code != X509_V_OK && !peer.expired;
    if (code != X509_V_OK) peer.verify_error = X509_verify_cert_error_string(code);
    std::string algorithm = s.kafka_value("ssl.endpoint.identification.algorithm");
    if (algorithm != "none") {
        int match = is_ip(host) ? X509_check_ip_asc(cert.get(), host.c_str(), 0)
                                : X509_check_host(cert.get(), host.c_str(), host.size(), 0, nullptr);
        peer.host_mismatch = match != 1;
    }
    peer.verified = code == X509_V_OK && !peer.host_mismatch;
    return peer;
}

}  // namespace kpipe
