#include "net_probe.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace kpipe {

Socket::~Socket() {
    if (fd >= 0) ::close(fd);
}

Result<std::vector<Address>> resolve(const std::string& host, const std::string& port) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    if (rc != 0) return fail(Exit::connect, "the host name {} does not resolve: {}", host, gai_strerror(rc));
    std::vector<Address> out;
    for (addrinfo* a = res; a; a = a->ai_next) {
        char text[INET6_ADDRSTRLEN] = "";
        const void* where = a->ai_family == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr)
                                                     : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr);
        inet_ntop(a->ai_family, where, text, sizeof text);
        Address addr{text, {}, a->ai_family};
        addr.sockaddr.assign(reinterpret_cast<unsigned char*>(a->ai_addr),
                             reinterpret_cast<unsigned char*>(a->ai_addr) + a->ai_addrlen);
        bool seen = false;
        for (const auto& o : out) seen = seen || o.text == addr.text;
        if (!seen) out.push_back(std::move(addr));
    }
    freeaddrinfo(res);
    return out;
}

Result<Connected> connect_tcp(const std::vector<Address>& addrs, const std::string& port, Millis timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string last = "no address";
    for (const auto& a : addrs) {
        int fd = ::socket(a.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) continue;
        Socket guard(fd);
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        std::string where = (a.family == AF_INET6 ? "[" + a.text + "]" : a.text) + ":" + port;
        int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(a.sockaddr.data()),
                           static_cast<socklen_t>(a.sockaddr.size()));
        if (rc != 0 && errno != EINPROGRESS) {
            last = fmt::format("{}: {}", where, std::strerror(errno));
            continue;
        }
        if (rc != 0) {
            auto left = std::chrono::duration_cast<Millis>(deadline - std::chrono::steady_clock::now()).count();
            pollfd p{fd, POLLOUT, 0};
            if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) {
                last = fmt::format("{}: no answer within {}", where, format_duration(timeout));
                continue;
            }
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) {
                last = fmt::format("{}: {}", where, std::strerror(err));
                continue;
            }
        }
        guard.fd = -1;
        return Connected{fd, where};
    }
    return fail(Exit::connect, "cannot open a TCP connection to {}", last);
}

}  // namespace kpipe
