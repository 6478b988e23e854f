// How consume writes a record: the JSON envelope (default), the value alone, or a -f
// template; optionally only records a jq --filter keeps.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "envelope.hpp"
#include "error.hpp"
#include "jq_filter.hpp"
#include "record.hpp"
#include "template.hpp"

namespace kpipe {

// Something that turns records into output bytes (consume's formats, tail's lines).
class RecordSink {
public:
    virtual ~RecordSink() = default;
    // Appends the record to `out`; false when it is filtered out (nothing appended).
    virtual bool append(const RecordView& r, std::string& out) = 0;
    // About once a second while consuming, and once with final=true at the end.
    virtual void tick(bool final) { (void)final; }
    // After buffered output went out (e.g. to redraw a status line below it).
    virtual void flushed() {}
};

enum class OutputFormat { envelope, value, template_ };

struct PrintOptions {
    OutputFormat format = OutputFormat::envelope;
    std::string template_text;  // OutputFormat::template_
    bool iso_time = false;
    std::string filter;  // jq expression; empty: keep everything
};

class RecordPrinter : public RecordSink {
public:
    static Result<std::unique_ptr<RecordPrinter>> create(const PrintOptions& o);
    bool append(const RecordView& r, std::string& out) override;

    // Records the filter could not evaluate (skipped), and the first such error.
    uint64_t filter_errors() const { return filter_errors_; }
    const std::string& first_filter_error() const { return first_filter_error_; }

private:
    RecordPrinter(const PrintOptions& o) : options_(o), envelope_(EnvelopeOptions{o.iso_time}) {}
    PrintOptions options_;
    EnvelopeWriter envelope_;
    std::optional<Template> template_;
    std::optional<JqFilter> filter_;
    std::string scratch_;
    uint64_t filter_errors_ = 0;
    std::string first_filter_error_;
};

}  // namespace kpipe
