#include "kafka/library.hpp"

#include <algorithm>
#include <cstring>

#include "kafka/handles.hpp"

namespace kpipe::kafka {

std::string library_version() { return rd_kafka_version_str(); }

std::vector<std::string> library_features() {
    ConfPtr conf{rd_kafka_conf_new()};
    size_t size = 0;
    rd_kafka_conf_get(conf.get(), "builtin.features", nullptr, &size);  // size stays 0 if unknown
    std::string text(size, '\0');
    if (size > 0) rd_kafka_conf_get(conf.get(), "builtin.features", text.data(), &size);
    text.resize(std::strlen(text.c_str()));
    std::vector<std::string> out;
    for (size_t start = 0; start < text.size();) {
        size_t comma = std::min(text.find(',', start), text.size());
        if (comma > start) out.push_back(text.substr(start, comma - start));
        start = comma + 1;
    }
    return out;
}

}  // namespace kpipe::kafka
