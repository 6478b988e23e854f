// The line reader over a file of arbitrary bytes, with buffer and line limits taken
// from the first two bytes (so tiny buffers and too-long lines are exercised). Every
// byte is accounted for: lines plus newlines (and skipped too-long lines) cover the input.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "fuzz.hpp"
#include "input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) return 0;
    size_t buffer = 1 + data[0] % 64, max_line = 1 + data[1] % 32;
    data += 2;
    size -= 2;
    int fd = ::memfd_create("kpipe-fuzz-lines", MFD_CLOEXEC);
    if (fd < 0) return 0;
    for (size_t done = 0; done < size;) {
        ssize_t n = ::write(fd, data + done, size - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
    }
    {
        kpipe::LineReader reader({"/proc/self/fd/" + std::to_string(fd)}, buffer, max_line);
        uint64_t covered = 0, lines = 0;
        kpipe::Line line;
        for (;;) {
            auto st = reader.next(line);
            if (!st) kpipe::fuzz::die("read error on a memfd", st.error().message);
            if (*st != kpipe::ReadStatus::line) break;
            ++lines;
            if (line.number != lines) kpipe::fuzz::die("line numbers skip");
            if (!line.too_long && line.length != line.bytes.size()) kpipe::fuzz::die("length differs from bytes");
            if (line.too_long && line.length <= max_line) kpipe::fuzz::die("short line reported too long");
            covered += line.length;
        }
        uint64_t newlines = 0;
        for (size_t i = 0; i < size; ++i) newlines += data[i] == '\n';
        if (covered + newlines != size) kpipe::fuzz::die("lines and newlines do not add up to the input");
        if (reader.bytes_read() != size) kpipe::fuzz::die("bytes_read differs from the input size");
    }
    ::close(fd);
    return 0;
}
