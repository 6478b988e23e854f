// How records become bytes on stdout: the JSON envelope (default), the value alone, a
// -f template, or tail's view for people (tail_view.hpp).
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "envelope.hpp"
#include "error.hpp"
#include "pipeline.hpp"
#include "template.hpp"

namespace kpipe {

class Printer {
public:
    virtual ~Printer() = default;
    // Appends the item's record to `out`.
    virtual void append(const Item& item, std::string& out) = 0;
    // After what was appended went out (e.g. to redraw a status line below it).
    virtual void flushed() {}
    // About every 250 ms, and once with final=true at the end.
    virtual void tick(bool final) { (void)final; }
};

enum class OutputFormat { envelope, value, template_ };

struct PrintOptions {
    OutputFormat format = OutputFormat::envelope;
    std::string template_text;  // OutputFormat::template_
    EnvelopeOptions envelope;
};

class RecordPrinter : public Printer {
public:
    // A bad template is a usage error naming the part.
    static Result<std::unique_ptr<RecordPrinter>> create(const PrintOptions& o);
    void append(const Item& item, std::string& out) override;

private:
    explicit RecordPrinter(const PrintOptions& o) : options_(o), envelope_(o.envelope) {}
    PrintOptions options_;
    EnvelopeWriter envelope_;
    std::optional<Template> template_;
};

}  // namespace kpipe
