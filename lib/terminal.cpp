#include "terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>

namespace kpipe {

bool is_terminal(std::FILE* f) { return isatty(fileno(f)) == 1; }

int terminal_width(std::FILE* f, int fallback) {
    winsize ws{};
    if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return fallback;
}

bool use_color(const Settings& s, std::FILE* f) {
    switch (s.color) {
        case ColorMode::always: return true;
        case ColorMode::never: return false;
        case ColorMode::auto_: return !s.no_color_env && is_terminal(f);
    }
    return false;
}

size_t display_width(std::string_view s) {
    size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

Table::Table(std::vector<std::string> headers, Style style)
    : headers_(std::move(headers)), right_(headers_.size(), false), style_(style) {}

void Table::add(std::vector<std::string> row) {
    row.resize(headers_.size());
    rows_.push_back(std::move(row));
}

void Table::right_align(size_t column) {
    if (column < right_.size()) right_[column] = true;
}

std::string Table::render() const {
    std::vector<size_t> width(headers_.size());
    for (size_t i = 0; i < headers_.size(); ++i) width[i] = display_width(headers_[i]);
    for (const auto& r : rows_)
        for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], display_width(r[i]));
    std::string out;
    auto line = [&](const std::vector<std::string>& cells, bool header) {
        std::string l;
        for (size_t i = 0; i < cells.size(); ++i) {
            size_t pad = width[i] - display_width(cells[i]);
            bool last = i + 1 == cells.size();
            if (right_[i]) l.append(pad, ' ');
            if (header) l += style_.bold();
            l += cells[i];
            if (header) l += style_.reset();
            if (!right_[i] && !last) l.append(pad, ' ');
            if (!last) l += "  ";
        }
        while (!l.empty() && l.back() == ' ') l.pop_back();
        out += l;
        out += '\n';
    };
    line(headers_, true);
    for (const auto& r : rows_) line(r, false);
    return out;
}

}  // namespace kpipe
