// kpipe --version and `kpipe version`: what is running, for a bug report. The short form
// names kpipe's version and git commit and librdkafka's version and built-in features;
// the long form (`--version -v`, `kpipe version`, `-o json`) adds how kpipe was built
// and the system it runs on.
#include <sys/utsname.h>

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>

#include "command.hpp"
#include "kafka/library.hpp"
#include "version.hpp"

namespace kpipe::cli {
namespace {

struct VersionInfo {
    std::string git;                    // "" when not built from a git checkout
    std::string librdkafka;             // the library loaded at run time
    std::vector<std::string> features;  // librdkafka's builtin.features: ssl, sasl_scram, zstd...
    std::string openssl;                // the library loaded at run time
    std::string system;                 // uname: sysname release machine
};

VersionInfo collect() {
    VersionInfo v{kpipe::git_describe, kafka::library_version(), kafka::library_features(), OpenSSL_version(OPENSSL_VERSION), ""};
    if (utsname u{}; uname(&u) == 0) v.system = fmt::format("{} {} {}", u.sysname, u.release, u.machine);
    return v;
}

std::string text(const VersionInfo& v, bool verbose) {
    std::string out = fmt::format("kpipe {}{}\nlibrdkafka {} ({})\n", kpipe::version,
                                  v.git.empty() ? "" : " (git " + v.git + ")", v.librdkafka,
                                  fmt::join(v.features, ", "));
    if (!verbose) return out;
    std::vector<std::string> libs;
    for (const auto& [name, ver] : kpipe::built_with) libs.push_back(fmt::format("{} {}", name, ver));
    out += fmt::format("build:      {}, {}, sanitizers {}\n", kpipe::build_type, kpipe::compiler,
                       kpipe::sanitized ? "on" : "off");
    out += fmt::format("built with: {}\n", fmt::join(libs, ", "));
    out += fmt::format("OpenSSL:    {}\n", v.openssl);
    out += fmt::format("system:     {}\n", v.system);
    return out;
}

std::string json(const VersionInfo& v) {
    nlohmann::ordered_json built_with = nlohmann::ordered_json::object();
    for (const auto& [name, ver] : kpipe::built_with) built_with[name] = ver;
    nlohmann::ordered_json doc = {
        {"version", kpipe::version},
        {"git", v.git.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(v.git)},
        {"librdkafka", {{"version", v.librdkafka}, {"features", v.features}}},
        {"build",
         {{"type", kpipe::build_type},
          {"compiler", kpipe::compiler},
          {"sanitizers", kpipe::sanitized},
          {"built_with", built_with}}},
        {"openssl", v.openssl},
        {"system", v.system},
    };
    return doc.dump() + "\n";
}

}  // namespace

void register_version(CLI::App& app) {
    // Printed by main when CLI11 throws CallForVersion, after every argument is parsed,
    // so -v counts wherever it stands.
    app.set_version_flag(
        "--version",
        [&app] {
            const CLI::Option* verbose = app.get_option_no_throw("--verbose");
            return text(collect(), verbose && verbose->count() > 0);
        },
        "Print kpipe's version and git commit, librdkafka's version and built-in features; "
        "-v adds the build and the system");

    auto format = std::make_shared<Format>(Format::table);
    auto* sub = app.add_subcommand(
        "version", "Versions of kpipe and its libraries, how it was built, the system: for bug reports");
    add_format_option(*sub, *format);
    sub->callback([format] {
        VersionInfo v = collect();
        throw CLI::CallForVersion(*format == Format::json ? json(v) : text(v, true), 0);
    });
}

}  // namespace kpipe::cli
