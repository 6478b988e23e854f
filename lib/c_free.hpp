// Ownership of C library objects (OpenSSL, libcurl) in a unique_ptr:
// std::unique_ptr<X509, CFree<X509_free>>.
#pragma once

namespace kpipe {

template <auto Fn>
struct CFree {
    template <class T>
    void operator()(T* p) const noexcept {
        if (p) Fn(p);
    }
};

}  // namespace kpipe
