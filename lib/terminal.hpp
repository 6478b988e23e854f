// Terminal facts: is a stream a terminal, its width, whether to colour.
#pragma once
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "settings.hpp"

namespace kpipe {

bool is_terminal(std::FILE* f);
int terminal_width(std::FILE* f, int fallback = 100);
bool use_color(const Settings& s, std::FILE* f);

// ANSI styles; empty strings when colour is off.
struct Style {
    bool on = false;
    std::string_view dim() const { return on ? "\x1b[2m" : ""; }
    std::string_view bold() const { return on ? "\x1b[1m" : ""; }
    std::string_view red() const { return on ? "\x1b[31m" : ""; }
    std::string_view green() const { return on ? "\x1b[32m" : ""; }
    std::string_view yellow() const { return on ? "\x1b[33m" : ""; }
    std::string_view blue() const { return on ? "\x1b[34m" : ""; }
    std::string_view magenta() const { return on ? "\x1b[35m" : ""; }
    std::string_view cyan() const { return on ? "\x1b[36m" : ""; }
    std::string_view reset() const { return on ? "\x1b[0m" : ""; }
};

// An aligned text table; numeric columns are right-aligned.
class Table {
public:
    explicit Table(std::vector<std::string> headers, Style style = {});
    void add(std::vector<std::string> row);
    void right_align(size_t column);
    std::string render() const;
    bool empty() const { return rows_.empty(); }

private:
    std::vector<std::string> headers_;
    std::vector<std::vector<std::string>> rows_;
    std::vector<bool> right_;
    Style style_;
};

// Display width of UTF-8 text (code points; wide characters count as one).
size_t display_width(std::string_view s);

}  // namespace kpipe
