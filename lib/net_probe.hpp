// Name resolution and a TCP connect with a deadline, for `kpipe config check` and
// kpipe's own TLS handshake (lib/tls_probe.hpp).
#pragma once
#include <string>
#include <vector>

#include "duration.hpp"
#include "error.hpp"

namespace kpipe {

struct Address {
    std::string text;  // 127.0.0.1, ::1
    std::vector<unsigned char> sockaddr;
    int family = 0;
};

// Exit 4 when the name does not resolve.
Result<std::vector<Address>> resolve(const std::string& host, const std::string& port);

// An open, connected socket (the caller closes it), trying each address in turn.
struct Connected {
    int fd = -1;
    std::string address;  // the one that answered, host:port
};
Result<Connected> connect_tcp(const std::vector<Address>& addrs, const std::string& port, Millis timeout);

// Closes a socket when it goes out of scope.
struct Socket {
    int fd = -1;
    explicit Socket(int f) : fd(f) {}
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket();
};

}  // namespace kpipe
