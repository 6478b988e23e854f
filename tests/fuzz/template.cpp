// The -f template parser, then the compiled template on a record with every field.
#include <cstdint>
#include <string>

#include "fuzz.hpp"
#include "template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto text = kpipe::fuzz::text(data, size);
    for (bool iso : {false, true}) {
        auto t = kpipe::Template::compile(text, iso);
        if (!t) continue;
        kpipe::RecordView r{"topic", 3, 42, 1764000000123, kpipe::TimestampType::create, "key", std::nullopt,
                            {{"h", "v"}, {"n", std::nullopt}}};
        std::string out;
        t->append(r, out);
    }
    return 0;
}
