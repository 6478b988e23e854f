#include "failure_report.hpp"
#include "log_limiter.hpp"

#include <algorithm>
#include <cctype>
#include <regex>

#include <fmt/format.h>

namespace kpipe {

namespace {

std::string without_suppression_notes(std::string_view s) {
    static const std::regex note(R"(,? ?\d+ identical error\(s\) suppressed)");
    return std::regex_replace(std::string(s), note, "");
}

}  // namespace

FailureReport::FailureReport(const Places& places, Emit emit, size_t max_lines)
    : places_(places), emit_(std::move(emit)), max_lines_(max_lines) {}

void FailureReport::add(const Position& p, std::string_view reason) {
    std::string text = without_suppression_notes(reason);
    std::string key = fold_digits(text);
    auto it = std::find_if(reasons_.begin(), reasons_.end(), [&](const Reason& r) { return r.key == key; });
    if (it == reasons_.end()) it = reasons_.insert(reasons_.end(), {std::move(key), std::move(text), 0});
    ++it->count;
    ++total_;
    pending_.push_back({p, static_cast<uint32_t>(it - reasons_.begin())});
}

void FailureReport::print() {
    // By reason, then place, partition and position, so that one partition's failures
    // interleaved with other partitions' deliveries still merge.
    std::sort(pending_.begin(), pending_.end(), [](const Entry& a, const Entry& b) {
        return std::tie(a.reason, a.pos) < std::tie(b.reason, b.pos);
    });
    for (size_t i = 0; i < pending_.size();) {
        size_t j = i + 1;
        const Entry& first = pending_[i];
        while (j < pending_.size() && pending_[j].reason == first.reason &&
               pending_[j].pos.place == first.pos.place && pending_[j].pos.partition == first.pos.partition &&
               pending_[j].pos.at == pending_[j - 1].pos.at + 1)
            ++j;
        ++ranges_;
        if (printed_ < max_lines_) {
            ++printed_;
            std::string where = places_.format_range(first.pos, pending_[j - 1].pos.at);
            const std::string& why = reasons_[first.reason].text;
            emit_(j - i == 1 ? fmt::format("{}: {}", where, why) : fmt::format("{}: {} ({} records)", where, why, j - i));
        } else {
            ++unprinted_ranges_;
            unprinted_records_ += j - i;
        }
        i = j;
    }
    pending_.clear();
}

void FailureReport::finish(std::string_view kept_in) {
    print();
    if (unprinted_ranges_ > 0)
        emit_(fmt::format("... and {} more range(s) of {} record(s){}", unprinted_ranges_, unprinted_records_,
                          kept_in.empty() ? "" : fmt::format("; every failed record is in {}", kept_in)));
    if (ranges_ <= 1) return;
    for (const auto& r : reasons_) emit_(fmt::format("{} record(s) failed: {}", r.count, r.text));
}

}  // namespace kpipe
