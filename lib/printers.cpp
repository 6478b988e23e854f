#include "printers.hpp"

namespace kpipe {

Result<std::unique_ptr<RecordPrinter>> RecordPrinter::create(const PrintOptions& o) {
    std::unique_ptr<RecordPrinter> p(new RecordPrinter(o));
    if (o.format == OutputFormat::template_) {
        auto t = Template::compile(o.template_text, o.envelope.iso_time);
        if (!t) return std::unexpected(t.error());
        p->template_.emplace(std::move(*t));
    }
    return p;
}

void RecordPrinter::append(const Item& item, std::string& out) {
    const RecordView& r = item.record;
    switch (options_.format) {
        case OutputFormat::envelope:
            // A step that already wrote the envelope (with the same options) saves the work.
            if (!item.envelope.empty()) out += item.envelope;
            else envelope_.append(r, out);
            break;
        case OutputFormat::value:
            if (r.value) out += *r.value;
            out += '\n';
            break;
        case OutputFormat::template_: template_->append(r, out); break;
    }
}

}  // namespace kpipe
