// A Source of records decoded from input lines (files or stdin): JSON events (the line's
// bytes are the value; event_fields.hpp checks them and takes key and timestamp from
// them), envelopes as `kpipe consume` writes them, or plain text. Each item's position
// is file:line; a line that makes no record is a bad item saying why.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cancel.hpp"
#include "envelope.hpp"
#include "input.hpp"
#include "pipeline.hpp"

namespace kpipe {

enum class LineFormat { json, envelope, text };

struct LineOptions {
    std::vector<std::string> files;  // empty or "-": stdin
    LineFormat format = LineFormat::json;
    std::string key_delim;               // text: key before the first occurrence
    uint64_t max_record = 1'000'000;     // the largest record the target takes (message.max.bytes)
    int idle_ms = 1000;                  // report idle while input is slow
    std::map<std::string, uint64_t> resume;  // per input name: lines up to this one were handled: skip them
    Cancel cancel;
};

class LineSource : public Source {
public:
    LineSource(LineOptions options, Places& places);
    // Opens every file now, so a missing one fails before any work.
    Result<void> open();
    Result<Pull> pull(Item& out, int wait_ms) override;
    uint64_t bytes_read() const { return reader_.bytes_read(); }
    // Bytes of the lines pulled, of the files' sizes; unknown when reading stdin or a pipe.
    std::optional<double> progress() const override;

private:
    Result<Pull> decode(const Line& line, Item& out);
    void decode_envelope(std::string_view bytes, Item& out);
    void decode_text(std::string_view bytes, Item& out);
    void bad(Item& out, std::string reason, bool keep_line = true);

    LineOptions opts_;
    Places& places_;
    LineReader reader_;
    std::vector<uint32_t> place_of_;  // per reader source
    std::vector<uint64_t> skip_to_;   // per reader source: lines up to this one are skipped
    Line line_;
    std::string reason_;
    EnvelopeReader envelope_;
    Record envelope_record_;
    uint64_t total_bytes_ = 0;  // the regular files' sizes; 0: unknown
    uint64_t consumed_ = 0;     // bytes of the lines pulled so far, newlines included
};

}  // namespace kpipe
