#include "registry/proto_files.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "file_text.hpp"

namespace kpipe::registry {

namespace {

namespace fs = std::filesystem;

Result<fs::path> find_import(const fs::path& from, const std::string& name) {
    std::error_code ec;
    auto dir = fs::absolute(from, ec).parent_path();
    for (;;) {
        if (fs::is_regular_file(dir / name, ec)) return dir / name;
        if (dir == dir.parent_path()) break;
        dir = dir.parent_path();
    }
    return fail(Exit::usage, "{} imports {}: no such file beside it or in a directory above it", from.string(), name);
}

Result<Schema> with_references(Client& client, const fs::path& path, std::string text, bool register_it, int depth) {
    if (depth > 32) return fail(Exit::usage, "{}: imports nested more than 32 deep", path.string());
    auto imports = proto_imports(text, path.string());
    if (!imports) return fail(Exit::usage, "schema {}", imports.error().message);
    Schema s{-1, "protobuf", std::move(text), {}};
    for (const auto& name : *imports) {
        auto file = find_import(path, name);
        if (!file) return std::unexpected(file.error());
        auto imported_text = read_file_text(file->string());
        if (!imported_text) return fail(Exit::usage, "schema {}", imported_text.error().message);
        auto imported = with_references(client, *file, std::move(*imported_text), register_it, depth + 1);
        if (!imported) return imported;
        if (register_it) {
            if (auto r = client.register_schema(name, *imported); !r) return std::unexpected(r.error());
        }
        auto found = find_registered(client, name, *imported, fmt::format("{} imports {}, which", path.string(), name));
        if (!found) return std::unexpected(found.error());
        s.references.push_back({name, name, found->version});
    }
    return s;
}

}  // namespace

Result<Schema> proto_file_schema(Client& client, const std::string& path, std::string text, bool register_it) {
    return with_references(client, path, std::move(text), register_it, 0);
}

}  // namespace kpipe::registry
