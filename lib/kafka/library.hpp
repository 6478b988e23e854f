// The librdkafka loaded at run time: its version and built-in features.
#pragma once
#include <string>
#include <vector>

namespace kpipe::kafka {

std::string library_version();                // e.g. "2.0.2"
std::vector<std::string> library_features();  // builtin.features: ssl, sasl_scram, zstd...

}  // namespace kpipe::kafka
