#include "decompress.hpp"

#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <vector>

#include <fmt/format.h>

namespace kpipe {

struct Decompressor::State {
    Kind kind;
    std::vector<char> in = std::vector<char>(1 << 17);
    size_t in_begin = 0, in_end = 0;
    bool input_done = false;
    bool in_stream = false;  // inside a gzip member or zstd frame not yet finished
    z_stream z{};
    ZSTD_DStream* zs = nullptr;

    explicit State(Kind k) : kind(k) {
        if (kind == Kind::gzip) inflateInit2(&z, 15 + 16);  // gzip wrapper
        else zs = ZSTD_createDStream();
    }
    ~State() {
        if (kind == Kind::gzip) inflateEnd(&z);
        else ZSTD_freeDStream(zs);
    }
};

std::optional<Decompressor::Kind> Decompressor::for_path(std::string_view path) {
    if (path.ends_with(".gz")) return Kind::gzip;
    if (path.ends_with(".zst")) return Kind::zstd;
    return std::nullopt;
}

Decompressor::Decompressor(Kind kind) : s_(std::make_unique<State>(kind)) {}
Decompressor::~Decompressor() = default;

ssize_t Decompressor::read(int fd, char* out, size_t cap) {
    State& s = *s_;
    for (;;) {
        if (s.in_begin == s.in_end && !s.input_done) {
            ssize_t n = ::read(fd, s.in.data(), s.in.size());
            if (n < 0) return -1;
            s.in_begin = 0;
            s.in_end = static_cast<size_t>(n);
            s.input_done = n == 0;
        }
        if (s.in_begin == s.in_end && s.input_done) {
            if (!s.in_stream) return 0;
            error_ = s.kind == Kind::gzip ? "gzip data ends early (truncated file)" : "zstd data ends early (truncated file)";
            return -2;
        }
        size_t produced = 0;
        if (s.kind == Kind::gzip) {
            s.z.next_in = reinterpret_cast<Bytef*>(s.in.data() + s.in_begin);
            s.z.avail_in = static_cast<uInt>(s.in_end - s.in_begin);
            s.z.next_out = reinterpret_cast<Bytef*>(out);
            s.z.avail_out = static_cast<uInt>(cap);
            int rc = inflate(&s.z, Z_NO_FLUSH);
            s.in_begin = s.in_end - s.z.avail_in;
            produced = cap - s.z.avail_out;
            if (rc == Z_STREAM_END) {
                inflateReset(&s.z);  // another member may follow
                s.in_stream = false;
            } else if (rc == Z_OK || rc == Z_BUF_ERROR) {
                s.in_stream = true;
            } else {
                error_ = fmt::format("not valid gzip data: {}", s.z.msg ? s.z.msg : "inflate failed");
                return -2;
            }
        } else {
            ZSTD_inBuffer in{s.in.data() + s.in_begin, s.in_end - s.in_begin, 0};
            ZSTD_outBuffer o{out, cap, 0};
            size_t rc = ZSTD_decompressStream(s.zs, &o, &in);
            if (ZSTD_isError(rc)) {
                error_ = fmt::format("not valid zstd data: {}", ZSTD_getErrorName(rc));
                return -2;
            }
            s.in_begin += in.pos;
            s.in_stream = rc != 0;
            produced = o.pos;
        }
        if (produced > 0) return static_cast<ssize_t>(produced);
    }
}

}  // namespace kpipe
