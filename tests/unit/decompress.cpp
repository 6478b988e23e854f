#include "decompress.hpp"

#include <doctest/doctest.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "input.hpp"

using namespace kpipe;

namespace {

std::string gzip(const std::string& text) {
    z_stream z{};
    REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&z, text.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

std::string zstd(const std::string& text) {
    std::string out(ZSTD_compressBound(text.size()), '\0');
    size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3);
    REQUIRE_FALSE(ZSTD_isError(n));
    out.resize(n);
    return out;
}

struct File {
    std::string path;
    File(const std::string& suffix, const std::string& bytes)
        : path("/tmp/kpipe-decompress-" + std::to_string(::getpid()) + suffix) {
        std::ofstream(path, std::ios::binary) << bytes;
    }
    ~File() { std::remove(path.c_str()); }
};

// Every line of `paths`, or the first error.
std::string read_lines(std::vector<std::string> paths, std::vector<std::string>& lines) {
    LineReader r(std::move(paths), 4096);
    if (auto o = r.open_all(); !o) return o.error().message;
    Line l;
    for (;;) {
        auto st = r.next(l);
        if (!st) return st.error().message;
        if (*st == ReadStatus::end) return "";
        lines.emplace_back(l.bytes);
    }
}

std::string numbered(int n) {
    std::string text;
    for (int i = 0; i < n; ++i) text += "{\"id\":" + std::to_string(i) + "}\n";
    return text;
}

}  // namespace

TEST_CASE("Decompressor::for_path goes by the file name") {
    CHECK(Decompressor::for_path("a.jsonl.gz") == Decompressor::Kind::gzip);
    CHECK(Decompressor::for_path("a.zst") == Decompressor::Kind::zstd);
    CHECK_FALSE(Decompressor::for_path("a.jsonl"));
    CHECK_FALSE(Decompressor::for_path("-"));
}

TEST_CASE(".gz and .zst files read as their lines, beside a plain file; concatenated streams read as one") {
    std::string text = numbered(20000);  // larger than the reader's buffers on both sides
    File gz(".jsonl.gz", gzip(text) + gzip("{\"id\":\"second member\"}\n"));
    File zs(".jsonl.zst", zstd(text) + zstd("{\"id\":\"second frame\"}\n"));
    File plain(".jsonl", "{\"plain\":1}\n");
    std::vector<std::string> lines;
    REQUIRE(read_lines({gz.path, plain.path, zs.path}, lines) == "");
    REQUIRE(lines.size() == 20000 * 2 + 3);
    CHECK(lines[0] == "{\"id\":0}");
    CHECK(lines[19999] == "{\"id\":19999}");
    CHECK(lines[20000] == "{\"id\":\"second member\"}");
    CHECK(lines[20001] == "{\"plain\":1}");
    CHECK(lines[20002] == "{\"id\":0}");
    CHECK(lines.back() == "{\"id\":\"second frame\"}");
}

TEST_CASE("a truncated or corrupt compressed file is an error naming it, after the lines it did hold") {
    std::string whole = gzip(numbered(20000));
    File cut(".gz", whole.substr(0, whole.size() / 2));
    std::vector<std::string> lines;
    auto err = read_lines({cut.path}, lines);
    CHECK(err == cut.path + ": gzip data ends early (truncated file)");
    CHECK(lines.size() > 1000);
    CHECK(lines.size() < 20000);

    File bad(".zst", "this is not zstd\n");
    lines.clear();
    err = read_lines({bad.path}, lines);
    CHECK(err.starts_with(bad.path + ": not valid zstd data: "));
    CHECK(lines.empty());

    std::string z = zstd(numbered(100));
    File cutz(".zst", z.substr(0, z.size() - 3));
    lines.clear();
    CHECK(read_lines({cutz.path}, lines) == cutz.path + ": zstd data ends early (truncated file)");
}
