// The envelope reader on arbitrary lines; what it accepts must survive the writer, with
// epoch-ms and with ISO-8601 timestamps: parse -> write -> parse gives the same record
// (the lossless contract).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "envelope.hpp"
#include "fuzz.hpp"

namespace {

kpipe::RecordView view(const kpipe::Record& r) {
    kpipe::RecordView v{r.topic, r.partition, r.offset, r.timestamp, r.timestamp_type, r.key, r.value, {}};
    for (const auto& h : r.headers) v.headers.push_back({h.name, h.value});
    return v;
}

bool same_payload(const kpipe::Record& a, const kpipe::Record& b) {
    if (a.key != b.key || a.value != b.value || a.timestamp != b.timestamp || a.partition != b.partition ||
        a.headers.size() != b.headers.size())
        return false;
    for (size_t i = 0; i < a.headers.size(); ++i)
        if (a.headers[i].name != b.headers[i].name || a.headers[i].value != b.headers[i].value) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static kpipe::EnvelopeReader reader;
    static kpipe::EnvelopeWriter writers[] = {kpipe::EnvelopeWriter{}, kpipe::EnvelopeWriter{{.iso_time = true}}};
    auto first = reader.parse(kpipe::fuzz::text(data, size));
    if (!first) return 0;
    for (auto& writer : writers) {
        std::string line;
        writer.append(view(*first), line);
        line.pop_back();  // '\n'
        auto second = reader.parse(line);
        if (!second) kpipe::fuzz::die("written envelope does not read back", line, second.error().message);
        if (!same_payload(*first, *second)) kpipe::fuzz::die("envelope round trip changed the record", line);
    }
    return 0;
}
