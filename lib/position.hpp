// Where a record came from, carried with it through a run: a line of an input file, or an
// offset in a topic partition. Reports name positions, merged into ranges.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace kpipe {

struct Position {
    uint32_t place = 0;      // index into Places: a file name or a topic name
    int32_t partition = -1;  // -1: `at` is a line number of a file
    int64_t at = 0;          // 1-based line number, or offset
    bool is_line() const { return partition < 0; }
    auto operator<=>(const Position&) const = default;
};

// The names positions refer to, shared by a run's source and writer.
class Places {
public:
    uint32_t add(std::string name);  // the index of an existing name is reused
    const std::string& name(uint32_t place) const { return names_.at(place); }

    // "events.jsonl:17", "clickstream [2] at offset 17"
    std::string format(const Position& p) const;
    // A run of consecutive positions of one place (and partition): "events.jsonl:17-20",
    // "clickstream [2] offsets 17-20".
    std::string format_range(const Position& first, int64_t last) const;

private:
    std::vector<std::string> names_;
};

}  // namespace kpipe
