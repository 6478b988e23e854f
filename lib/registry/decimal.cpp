#include "registry/decimal.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace kpipe::registry {

namespace {

// Two's complement negation of a big-endian magnitude, in place.
void negate(std::vector<uint8_t>& b) {
    for (auto& x : b) x = static_cast<uint8_t>(~x);
    for (size_t i = b.size(); i-- > 0;)
        if (++b[i] != 0) break;
}

}  // namespace

void append_decimal_json(std::string& out, std::string_view bytes, int scale) {
    std::vector<uint8_t> mag(bytes.begin(), bytes.end());
    bool negative = !mag.empty() && (mag[0] & 0x80);
    if (negative) negate(mag);
    // Decimal digits by repeated division by 10, least significant first.
    std::string digits;
    while (std::any_of(mag.begin(), mag.end(), [](uint8_t x) { return x != 0; })) {
        unsigned rem = 0;
        for (auto& x : mag) {
            unsigned cur = rem << 8 | x;
            x = static_cast<uint8_t>(cur / 10);
            rem = cur % 10;
        }
        digits += static_cast<char>('0' + rem);
    }
    if (digits.empty()) digits = "0";
    std::reverse(digits.begin(), digits.end());
    size_t significant = digits == "0" ? 1 : digits.size();
    if (scale > 0) {
        auto s = static_cast<size_t>(scale);
        if (digits.size() <= s) digits.insert(0, s + 1 - digits.size(), '0');
        digits.insert(digits.size() - s, ".");
    } else if (scale < 0) {
        digits.append(static_cast<size_t>(-scale), '0');
    }
    bool as_string = significant > 15;
    if (as_string) out += '"';
    if (negative) out += '-';
    out += digits;
    if (as_string) out += '"';
}

std::expected<std::string, std::string> decimal_bytes(std::string_view text, int scale, size_t fixed_size) {
    auto bad = [&] { return std::unexpected(fmt::format("expected a decimal number, got \"{}\"", text)); };
    size_t i = 0;
    bool negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
    std::string digits;
    int frac = 0;
    bool point = false, any = false;
    for (; i < text.size(); ++i) {
        char c = text[i];
        if (c >= '0' && c <= '9') {
            digits += c;
            any = true;
            if (point) ++frac;
        } else if (c == '.' && !point) {
            point = true;
        } else {
            break;
        }
    }
    if (!any) return bad();
    long exp = 0;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        bool eneg = false;
        if (i < text.size() && (text[i] == '-' || text[i] == '+')) eneg = text[i++] == '-';
        if (i >= text.size()) return bad();
        for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
            exp = exp * 10 + (text[i] - '0');
            if (exp > 10000) return bad();
        }
        if (eneg) exp = -exp;
    }
    if (i != text.size()) return bad();
    // value = digits × 10^(exp - frac); unscaled = value × 10^scale.
    long shift = exp - frac + scale;
    if (shift >= 0) {
        digits.append(static_cast<size_t>(shift), '0');
    } else {
        auto drop = static_cast<size_t>(-shift);
        size_t keep = digits.size() > drop ? digits.size() - drop : 0;
        if (digits.find_first_not_of('0', keep) != std::string::npos)
            return std::unexpected(fmt::format("{} has more than {} decimal places (the schema's scale)", text, scale));
        digits.resize(keep);
    }
    // Decimal digits to a big-endian magnitude.
    std::vector<uint8_t> mag;
    for (char c : digits) {
        unsigned carry = static_cast<unsigned>(c - '0');
        for (size_t k = mag.size(); k-- > 0;) {
            unsigned cur = mag[k] * 10u + carry;
            mag[k] = static_cast<uint8_t>(cur & 0xff);
            carry = cur >> 8;
        }
        while (carry) {
            mag.insert(mag.begin(), static_cast<uint8_t>(carry & 0xff));
            carry >>= 8;
        }
    }
    while (!mag.empty() && mag[0] == 0) mag.erase(mag.begin());
    mag.insert(mag.begin(), 0);  // room for the sign bit
    if (negative && mag.size() > 1) negate(mag);
    // Shortest two's complement: drop a leading byte that only repeats the sign.
    while (mag.size() > 1 && ((mag[0] == 0 && !(mag[1] & 0x80)) || (mag[0] == 0xff && (mag[1] & 0x80))))
        mag.erase(mag.begin());
    if (fixed_size) {
        if (mag.size() > fixed_size)
            return std::unexpected(fmt::format("{} does not fit the schema's {} bytes", text, fixed_size));
        mag.insert(mag.begin(), fixed_size - mag.size(), (mag[0] & 0x80) ? 0xff : 0);
    }
    return std::string(mag.begin(), mag.end());
}

std::expected<std::string, std::string> decimal_from_json(const nlohmann::ordered_json& j, int scale, size_t fixed_size) {
    if (j.is_string()) return decimal_bytes(j.get_ref<const std::string&>(), scale, fixed_size);
    if (j.is_number_integer()) return decimal_bytes(j.dump(), scale, fixed_size);
    if (j.is_number_float()) return decimal_bytes(fmt::format("{}", j.get<double>()), scale, fixed_size);
    return std::unexpected(std::string("expected a decimal (a number or a string of digits)"));
}

}  // namespace kpipe::registry
