#include <doctest/doctest.h>

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "input.hpp"
#include "signals.hpp"

using namespace kpipe;

namespace {

struct TempFile {
    std::string path;
    explicit TempFile(const std::string& content) {
        char name[] = "/tmp/kpipe-input-test-XXXXXX";
        int fd = ::mkstemp(name);
        REQUIRE(fd >= 0);
        ::close(fd);
        path = name;
        std::ofstream(path, std::ios::binary) << content;
    }
    ~TempFile() { std::remove(path.c_str()); }
};

struct Got {
    std::string bytes;
    size_t source;
    uint64_t number;
    bool too_long;
    uint64_t length;
};

std::vector<Got> read_all(LineReader& r) {
    REQUIRE(r.open_all().has_value());
    std::vector<Got> out;
    Line l;
    for (;;) {
        auto st = r.next(l);
        REQUIRE(st.has_value());
        if (*st == ReadStatus::end) break;
        REQUIRE(*st == ReadStatus::line);
        out.push_back({std::string(l.bytes), l.source, l.number, l.too_long, l.length});
    }
    return out;
}

}  // namespace

TEST_CASE("lines keep their bytes, numbers and file") {
    TempFile a("one\r\ntwo\n\nthree");  // no newline at the end
    TempFile b("four\n");
    LineReader r({a.path, b.path});
    auto got = read_all(r);
    REQUIRE(got.size() == 5);
    CHECK(got[0].bytes == "one\r");  // '\r' is the caller's business
    CHECK(got[1].bytes == "two");
    CHECK(got[2].bytes == "");
    CHECK(got[2].number == 3);
    CHECK(got[3].bytes == "three");
    CHECK(got[3].number == 4);
    CHECK(got[3].source == 0);
    CHECK(got[4].bytes == "four");
    CHECK(got[4].source == 1);
    CHECK(got[4].number == 1);
    CHECK(r.name(1) == b.path);
    CHECK(r.bytes_read() == 20);
}

TEST_CASE("lines longer than the buffer grow it; longer than max_line are skipped") {
    std::string big(1000, 'x');
    std::string huge(5000, 'y');
    TempFile f("a\n" + big + "\n" + huge + "\nb\n" + huge);
    LineReader r({f.path}, 64, 2000);
    auto got = read_all(r);
    REQUIRE(got.size() == 5);
    CHECK(got[0].bytes == "a");
    CHECK(got[1].bytes == big);
    CHECK_FALSE(got[1].too_long);
    CHECK(got[2].too_long);
    CHECK(got[2].bytes.empty());
    CHECK(got[2].length == 5000);
    CHECK(got[2].number == 3);
    CHECK(got[3].bytes == "b");
    CHECK(got[3].number == 4);
    CHECK(got[4].too_long);
    CHECK(got[4].length == 5000);
}

TEST_CASE("a line of exactly max_line bytes is kept") {
    std::string exact(100, 'z');
    TempFile f(exact + "\n" + exact);
    LineReader r({f.path}, 16, 100);
    auto got = read_all(r);
    REQUIRE(got.size() == 2);
    CHECK(got[0].bytes == exact);
    CHECK(got[1].bytes == exact);
}

TEST_CASE("empty files and many small reads") {
    TempFile empty("");
    std::string many;
    for (int i = 0; i < 10000; ++i) many += std::to_string(i) + "\n";
    TempFile f(many);
    LineReader r({empty.path, f.path}, 7);
    auto got = read_all(r);
    REQUIRE(got.size() == 10000);
    CHECK(got[9999].bytes == "9999");
    CHECK(got[9999].number == 10000);
    CHECK(got[9999].source == 1);
}

TEST_CASE("stdin is named <stdin>; a missing file is an error naming it") {
    LineReader in({});
    CHECK(in.sources() == 1);
    CHECK(in.name(0) == "<stdin>");
    LineReader missing({"/nonexistent/kpipe/file.jsonl"});
    auto r = missing.open_all();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == Exit::usage);
    CHECK(r.error().message.find("/nonexistent/kpipe/file.jsonl") != std::string::npos);
    LineReader dir({"/tmp"});
    auto d = dir.open_all();
    REQUIRE_FALSE(d.has_value());
    CHECK(d.error().message.find("directory") != std::string::npos);
}

TEST_CASE("a pipe without input reports idle at once, then lines as they come") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    LineReader r({"/dev/fd/" + std::to_string(fds[0])}, 64, 1000, 10);
    REQUIRE(r.open_all().has_value());
    REQUIRE(::write(fds[1], "a\nb", 3) == 3);
    Line l;
    REQUIRE(r.next(l) == ReadStatus::line);
    CHECK(l.bytes == "a");
    CHECK(r.next(l) == ReadStatus::idle);  // "b" has no newline yet and nothing more is there
    CHECK(r.next(l) == ReadStatus::idle);  // after idle_ms
    REQUIRE(::write(fds[1], "\n", 1) == 1);
    REQUIRE(r.next(l) == ReadStatus::line);
    CHECK(l.bytes == "b");
    CHECK(l.number == 2);
    ::close(fds[1]);
    CHECK(r.next(l) == ReadStatus::end);
    ::close(fds[0]);
}

TEST_CASE("a signal stops reading") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    volatile std::sig_atomic_t flag = 0;
    LineReader r({"/dev/fd/" + std::to_string(fds[0])}, LineReader::default_buffer, LineReader::default_max_line, 0,
                 Cancel(&flag));
    REQUIRE(r.open_all().has_value());
    REQUIRE(::write(fds[1], "a\n", 2) == 2);
    Line l;
    REQUIRE(r.next(l) == ReadStatus::line);
    flag = SIGINT;
    CHECK(r.next(l) == ReadStatus::interrupted);
    ::close(fds[1]);
    ::close(fds[0]);
}

namespace {
volatile std::sig_atomic_t fifo_signal = 0;
extern "C" void on_fifo_signal(int sig) { fifo_signal = sig; }
}  // namespace

TEST_CASE("a signal while waiting to open a FIFO is an interruption naming it") {
    std::string path = "/tmp/kpipe-input-fifo-" + std::to_string(::getpid());
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    struct sigaction sa {}, old {};
    sa.sa_handler = on_fifo_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART, as SignalGuard installs it
    REQUIRE(sigaction(SIGUSR1, &sa, &old) == 0);
    LineReader r({path}, LineReader::default_buffer, LineReader::default_max_line, 0, Cancel(&fifo_signal));
    // open(2) blocks until a writer comes; the signal must reach this thread to end it.
    pthread_t self = pthread_self();
    std::thread signaller([self] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        pthread_kill(self, SIGUSR1);
    });
    auto opened = r.open_all();
    signaller.join();
    sigaction(SIGUSR1, &old, nullptr);
    std::remove(path.c_str());
    REQUIRE_FALSE(opened.has_value());
    CHECK(opened.error().code == Exit::interrupted);
    CHECK(opened.error().message.starts_with(path + ": interrupted while waiting to open it"));
}
