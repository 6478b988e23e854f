#include "secret_command.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <memory>

namespace kpipe {

Result<std::string> run_secret_command(const std::string& command, const std::string& where) {
    std::fflush(stdout);
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    if (!pipe) return fail(Exit::usage, "{}: cannot run '{}'", where, command);
    std::string out;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0;) out.append(buf, n);
    int status = pclose(pipe.release());
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string how = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status)) : "killed by a signal";
        return fail(Exit::usage, "{}: the command '{}' failed ({})", where, command, how);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (out.empty()) return fail(Exit::usage, "{}: the command '{}' printed nothing", where, command);
    return out;
}

}  // namespace kpipe
