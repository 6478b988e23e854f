// Compressed input read as it arrives: gzip (.gz, zlib) and Zstandard (.zst, libzstd),
// chosen by the file name. Concatenated streams (several gzip members or zstd frames)
// read as one.
#pragma once
#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace kpipe {

class Decompressor {
public:
    enum class Kind { gzip, zstd };
    // The kind a path's name says, if any.
    static std::optional<Kind> for_path(std::string_view path);

    explicit Decompressor(Kind kind);
    ~Decompressor();
    Decompressor(const Decompressor&) = delete;
    Decompressor& operator=(const Decompressor&) = delete;

    // Like read(2) on `fd`, but decompressed: bytes written to out (> 0), 0 at the end,
    // -1 with errno set when reading fails (EINTR included), -2 when the data is not valid
    // (error() says why).
    ssize_t read(int fd, char* out, size_t cap);
    const std::string& error() const { return error_; }

private:
    struct State;
    std::unique_ptr<State> s_;
    std::string error_;
};

}  // namespace kpipe
