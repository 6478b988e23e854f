// Byte codecs used by the envelope: base64 (OpenSSL), JSON string escaping, UTF-8 checks.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace kpipe {

void append_base64(std::string& out, std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

// Appends `text` (valid UTF-8) as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view text);

bool is_utf8(std::string_view bytes);

}  // namespace kpipe
