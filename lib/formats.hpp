// How consume writes a record: the JSON envelope (default), the value alone, or a -f
// template; optionally only records a jq --filter keeps.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <utility>

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
    // Appends the record to `out`; false when nothing was appended: filtered out, or (when
    // take_error() then returns a message) the record could not be handled.
    virtual bool append(const RecordView& r, std::string& out) = 0;
    // After append() returned false: why the record could not be handled (it is neither
    // written nor done, so its offset must not be committed); empty when filtered out.
    virtual std::string take_error() { return {}; }
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
    // A --filter error on the last record appended (jq's message, with where the record is).
    std::string take_error() override { return std::exchange(error_, {}); }

private:
    RecordPrinter(const PrintOptions& o) : options_(o), envelope_(EnvelopeOptions{o.iso_time}) {}
    PrintOptions options_;
    EnvelopeWriter envelope_;
    std::optional<Template> template_;
    std::optional<JqFilter> filter_;
    std::string scratch_;
    std::string error_;
};

}  // namespace kpipe
