// Records that failed, reported by position: consecutive positions with the same reason
// merge into one range ("events.jsonl:1001-1500: not delivered: ... (500 records)").
// Reasons that differ only in numbers (addresses, counts, "N identical error(s)
// suppressed") count as one. At most `max_lines` ranges are printed in a run; after
// that only the totals per reason, so a broker outage never floods the terminal.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "position.hpp"

namespace kpipe {

class FailureReport {
public:
    using Emit = std::function<void(std::string_view line)>;  // one line, without "kpipe: " or newline

    FailureReport(const Places& places, Emit emit, size_t max_lines = 20);

    void add(const Position& p, std::string_view reason);
    bool pending() const { return !pending_.empty(); }
    uint64_t total() const { return total_; }

    // Prints the ranges gathered since the last call (while the line budget lasts).
    void print();
    // Prints what is left, then, when any range went unprinted or there was more than one,
    // the totals per reason. `kept_in` ("failed.jsonl") says where every failed record is.
    void finish(std::string_view kept_in);

private:
    struct Entry {
        Position pos;
        uint32_t reason;
        auto operator<=>(const Entry&) const = default;
    };
    struct Reason {
        std::string key;   // digits folded
        std::string text;  // as first seen, suppression notes removed
        uint64_t count = 0;
    };
    const Places& places_;
    Emit emit_;
    size_t max_lines_;
    size_t printed_ = 0;
    uint64_t ranges_ = 0;
    uint64_t unprinted_ranges_ = 0;
    uint64_t unprinted_records_ = 0;
    uint64_t total_ = 0;
    std::vector<Entry> pending_;
    std::vector<Reason> reasons_;
};

}  // namespace kpipe
