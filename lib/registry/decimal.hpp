// Avro decimals: the unscaled value as big-endian two's complement bytes, and the
// scale from the schema. Shown as an exact JSON number when it has at most 15
// significant digits (a double holds it exactly), else as a string of its digits.
#pragma once
#include <expected>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace kpipe::registry {

// Appends the decimal `bytes` × 10^-scale as JSON.
void append_decimal_json(std::string& out, std::string_view bytes, int scale);
// The decimal text ("-12.5", "1e3") as unscaled two's complement bytes at `scale`: the
// shortest form, or exactly `fixed_size` bytes when that is not 0. The error says why not.
std::expected<std::string, std::string> decimal_bytes(std::string_view text, int scale, size_t fixed_size);
// The same for a JSON number or string.
std::expected<std::string, std::string> decimal_from_json(const nlohmann::ordered_json& j, int scale, size_t fixed_size);

}  // namespace kpipe::registry
