#include "checkpoint.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "file_text.hpp"

namespace kpipe {

using json = nlohmann::json;

Result<CheckpointState> load_checkpoint(const std::string& path, const std::string& replay) {
    CheckpointState st;
    st.replay = replay;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) && !ec) return st;
    auto text = read_file_text(path);
    if (!text) return fail(Exit::usage, "checkpoint {}", text.error().message);
    json doc = json::parse(*text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || doc.value("kpipe_checkpoint", 0) != 1)
        return fail(Exit::usage, "checkpoint {}: not a kpipe checkpoint", path);
    std::string of = doc.value("replay", "");
    if (of != replay)
        return fail(Exit::usage, "checkpoint {} is of another replay ({}); this one is {}", path, of, replay);
    try {
        for (const auto& [name, line] : doc.at("lines").items()) st.lines[name] = line.get<uint64_t>();
        for (const auto& o : doc.at("offsets")) {
            TopicPartition tp{o.at("topic").get<std::string>(), o.at("partition").get<int32_t>()};
            st.offsets[tp] = o.at("next").get<int64_t>();
            if (o.contains("end")) st.ends[tp] = o.at("end").get<int64_t>();
        }
    } catch (const json::exception& e) {
        return fail(Exit::usage, "checkpoint {}: {}", path, e.what());
    }
    return st;
}

CheckpointSource::CheckpointSource(Source& inner, const Places& places, std::string path, CheckpointState state)
    : inner_(inner), places_(places), path_(std::move(path)), state_(std::move(state)) {}

void CheckpointSource::not_delivered(const Position& p) {
    if (inner_.wants_done()) inner_.not_delivered(p);
    held_.insert({p.place, p.partition});
}

void CheckpointSource::done(const Position& p) {
    if (inner_.wants_done()) inner_.done(p);
    if (!held_.empty() && held_.contains({p.place, p.partition})) return;
    const std::string& name = places_.name(p.place);
    if (p.is_line()) {
        auto& line = state_.lines[name];
        line = std::max(line, static_cast<uint64_t>(p.at));
    } else {
        auto& next = state_.offsets[{name, p.partition}];
        next = std::max(next, p.at + 1);
    }
    dirty_ = true;
    if (++since_check_ >= 1024) save_if_due();  // under load, between the pump's ticks too
}

void CheckpointSource::save_if_due() {
    since_check_ = 0;
    auto now = std::chrono::steady_clock::now();
    if (!dirty_ || error_ || now - saved_ < std::chrono::milliseconds(100)) return;
    if (auto s = save(); !s) error_ = s.error();
}

Result<void> CheckpointSource::tick() {
    if (auto t = inner_.tick(); !t) return t;
    save_if_due();
    if (error_) return std::unexpected(*error_);
    return {};
}

Result<void> CheckpointSource::finish() {
    auto f = inner_.finish();
    auto s = dirty_ ? save() : Result<void>{};
    return f ? s : f;
}

Result<void> CheckpointSource::save() {
    dirty_ = false;
    saved_ = std::chrono::steady_clock::now();
    json doc{{"kpipe_checkpoint", 1}, {"replay", state_.replay}, {"lines", json::object()}, {"offsets", json::array()}};
    for (const auto& [name, line] : state_.lines) doc["lines"][name] = line;
    for (const auto& [tp, next] : state_.offsets) {
        json o{{"topic", tp.topic}, {"partition", tp.partition}, {"next", next}};
        if (auto e = state_.ends.find(tp); e != state_.ends.end()) o["end"] = e->second;
        doc["offsets"].push_back(std::move(o));
    }
    std::string text = doc.dump() + "\n";
    std::string tmp = path_ + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    bool ok = f && std::fwrite(text.data(), 1, text.size(), f) == text.size();
    ok = f && std::fclose(f) == 0 && ok;
    if (!ok || std::rename(tmp.c_str(), path_.c_str()) != 0)
        return fail(Exit::runtime, "checkpoint {}: cannot write: {}", path_, std::strerror(errno));
    return {};
}

}  // namespace kpipe
