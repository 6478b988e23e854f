// Errors as values inside the library; main maps them to exit codes.
#pragma once
#include <expected>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace kpipe {

// One scheme for every subcommand (README "Exit codes").
enum class Exit : int {
    ok = 0,
    runtime = 1,
    usage = 2,
    data = 3,
    connect = 4,
    not_found = 5,
    threshold = 6,
    interrupted = 130,
};

struct Error {
    Exit code = Exit::runtime;
    std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

template <class... Args>
std::unexpected<Error> fail(Exit code, fmt::format_string<Args...> f, Args&&... args) {
    return std::unexpected(Error{code, fmt::format(f, std::forward<Args>(args)...)});
}

// Thrown only at the command-line edge (cmd/), caught once in main.
struct Failure {
    Error error;
};

template <class T>
T value_or_throw(Result<T>&& r) {
    if (!r) throw Failure{std::move(r.error())};
    return std::move(*r);
}

inline void ok_or_throw(Result<void>&& r) {
    if (!r) throw Failure{std::move(r.error())};
}

}  // namespace kpipe
