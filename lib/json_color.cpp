#include "json_color.hpp"

#include "codec.hpp"

namespace kpipe {

namespace {

size_t utf8_len(unsigned char c) {
    if (c < 0x80) return 1;
    if ((c >> 5) == 0x6) return 2;
    if ((c >> 4) == 0xE) return 3;
    if ((c >> 3) == 0x1E) return 4;
    return 1;
}

}  // namespace

void Painter::put_visible(std::string_view text) {
    if (left_ < 0) {
        out_ += text;
        return;
    }
    size_t i = 0;
    while (i < text.size()) {
        size_t n = std::min(utf8_len(static_cast<unsigned char>(text[i])), text.size() - i);
        if (!held_.empty()) {  // more text after the last column: "…" takes its place
            held_ = "\u2026";
            cut_ = true;
            return;
        }
        if (left_ == 1) held_.assign(text.data() + i, n);  // written by finish() if nothing follows
        else out_.append(text.data() + i, n);
        --left_;
        i += n;
    }
}

void Painter::finish() {
    out_ += held_;
    held_.clear();
}

void Painter::put(std::string_view text, std::string_view style) {
    if (cut_ || text.empty()) return;
    if (!style.empty() && style_.on) out_ += style;
    put_visible(text);
    if (!style.empty() && style_.on) out_ += style_.reset();
}

void Painter::put_escaped(std::string_view text, std::string_view style) {
    if (cut_) return;
    bool utf8 = is_utf8(text);
    std::string clean;
    clean.reserve(text.size());
    for (unsigned char c : text) {
        if (c == '\n') clean += "\\n";
        else if (c == '\t') clean += "\\t";
        else if (c == '\r') clean += "\\r";
        else if (c < 0x20 || c == 0x7F || (!utf8 && c >= 0x80)) clean += fmt::format("\\x{:02x}", c);
        else clean += static_cast<char>(c);
    }
    put(clean, style);
}

void paint_json(Painter& p, const Style& st, std::string_view j) {
    size_t i = 0;
    while (i < j.size() && !p.full()) {
        char c = j[i];
        if (c == '"') {
            size_t k = i + 1;
            while (k < j.size() && j[k] != '"') k += j[k] == '\\' ? 2 : 1;
            k = std::min(k + 1, j.size());
            size_t after = k;
            while (after < j.size() && (j[after] == ' ' || j[after] == '\n' || j[after] == '\t' || j[after] == '\r'))
                ++after;
            bool key = after < j.size() && j[after] == ':';
            p.put(j.substr(i, k - i), key ? st.blue() : st.green());
            i = k;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t k = i;
            while (k < j.size() && std::string_view("+-0123456789.eE").find(j[k]) != std::string_view::npos) ++k;
            p.put(j.substr(i, k - i), st.yellow());
            i = k;
        } else if (c == 't' || c == 'f' || c == 'n') {
            size_t k = i;
            while (k < j.size() && j[k] >= 'a' && j[k] <= 'z') ++k;
            p.put(j.substr(i, k - i), st.magenta());
            i = k;
        } else if (c == '\n' || c == '\r' || c == '\t') {
            p.put(" ");
            ++i;
        } else {
            size_t k = i;
            while (k < j.size() && std::string_view("\"-0123456789tfn\n\r\t").find(j[k]) == std::string_view::npos) ++k;
            p.put(j.substr(i, k - i));
            i = k;
        }
    }
}

}  // namespace kpipe
