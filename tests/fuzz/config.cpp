// The config loader: the input is a config file (TOML with profiles), read with its
// default profile and a fixed environment; also ${VAR} expansion and -X properties.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

#include "fuzz.hpp"
#include "settings.hpp"

namespace {

std::string config_path() {
    std::string p = "/tmp/kpipe-fuzz-config-" + std::to_string(::getpid()) + ".toml";
    return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = config_path();
    static const std::map<std::string, std::string, std::less<>> vars{{"USER_KEY", "alice"}, {"EMPTY", ""}};
    kpipe::EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
        if (auto it = vars.find(name); it != vars.end()) return it->second;
        return std::nullopt;
    };
    auto text = kpipe::fuzz::text(data, size);
    if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(data, 1, size, f);
        std::fclose(f);
    }
    kpipe::SettingsInput in;
    in.config_file = path;
    if (auto s = kpipe::resolve_settings(in, env)) {
        (void)s->brokers();
        (void)s->secret_values();
    }
    (void)kpipe::expand_env(text, env, "fuzz");
    (void)kpipe::parse_property(text);
    return 0;
}
