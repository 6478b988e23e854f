// Helpers for unit tests that resolve settings: an environment from a map, and a
// config file that lives as long as the test (private to its owner unless told).
#pragma once
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "settings.hpp"

namespace kpipe::test {

inline EnvLookup env_of(std::map<std::string, std::string> m) {
    return [m](std::string_view k) -> std::optional<std::string> {
        auto it = m.find(std::string(k));
        if (it == m.end()) return std::nullopt;
        return it->second;
    };
}

struct TempConfig {
    std::string path;
    explicit TempConfig(const std::string& text,
                        std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                                       std::filesystem::perms::owner_write) {
        path = (std::filesystem::temp_directory_path() /
                ("kpipe-unit-" + std::to_string(reinterpret_cast<uintptr_t>(this)) + ".toml"))
                   .string();
        std::ofstream(path) << text;
        std::filesystem::permissions(path, perms);
    }
    TempConfig(const TempConfig&) = delete;
    TempConfig& operator=(const TempConfig&) = delete;
    ~TempConfig() { std::remove(path.c_str()); }
};

}  // namespace kpipe::test
