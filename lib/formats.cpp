#include "formats.hpp"

namespace kpipe {

Result<std::unique_ptr<RecordPrinter>> RecordPrinter::create(const PrintOptions& o) {
    std::unique_ptr<RecordPrinter> p(new RecordPrinter(o));
    if (o.format == OutputFormat::template_) {
        auto t = Template::compile(o.template_text, o.iso_time);
        if (!t) return std::unexpected(t.error());
        p->template_.emplace(std::move(*t));
    }
    if (!o.filter.empty()) {
        auto f = JqFilter::compile(o.filter);
        if (!f) return std::unexpected(f.error());
        p->filter_.emplace(std::move(*f));
    }
    return p;
}

bool RecordPrinter::append(const RecordView& r, std::string& out) {
    if (filter_) {
        // The filter sees the envelope object, whatever the output format.
        scratch_.clear();
        envelope_.append(r, scratch_);
        auto keep = filter_->matches(scratch_);
        if (!keep) {
            std::string_view why = keep.error().message;
            if (why.starts_with("--filter: ")) why.remove_prefix(10);
            error_ = fmt::format("--filter failed on {} [{}] at offset {}: {}", r.topic, r.partition, r.offset, why);
            return false;
        }
        if (!*keep) return false;
        if (options_.format == OutputFormat::envelope) {
            out += scratch_;
            return true;
        }
    }
    switch (options_.format) {
        case OutputFormat::envelope: envelope_.append(r, out); break;
        case OutputFormat::value:
            if (r.value) out += *r.value;
            out += '\n';
            break;
        case OutputFormat::template_: template_->append(r, out); break;
    }
    return true;
}

}  // namespace kpipe
