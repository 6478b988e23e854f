#include "file_text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kpipe {

Result<std::string> read_file_text(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(Exit::usage, "{}: {}", path, std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st{};
    if (::fstat(fd, &st) != 0) return fail(Exit::usage, "{}: {}", path, std::strerror(errno));
    if (S_ISDIR(st.st_mode)) return fail(Exit::usage, "{}: is a directory, not a file", path);
    std::string text;
    if (S_ISREG(st.st_mode)) text.reserve(static_cast<size_t>(st.st_size));
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n == 0) return text;
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(Exit::usage, "{}: {}", path, std::strerror(errno));
        }
        text.append(buf, static_cast<size_t>(n));
    }
}

}  // namespace kpipe
