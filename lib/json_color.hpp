// Text for people on a terminal: JSON syntax colour and cutting to a width.
#pragma once
#include <string>
#include <string_view>

#include "terminal.hpp"

namespace kpipe {

// Appends styled text while counting display width; text that does not fit in `width`
// columns is dropped and "…" in the last column ends the line (call finish() at the end
// of the line). width < 0: no limit.
class Painter {
public:
    Painter(std::string& out, Style style, long width) : out_(out), style_(style), left_(width) {}
    // `style` is one of Style's escape strings ("" for plain).
    void put(std::string_view text, std::string_view style = {});
    // Like put(), with control characters and invalid UTF-8 shown as \n, \t, \xNN.
    void put_escaped(std::string_view text, std::string_view style = {});
    bool full() const { return cut_; }
    // Ends the line: writes the last column (its character, or "…" when text was cut).
    void finish();

private:
    void put_visible(std::string_view text);
    std::string& out_;
    Style style_;
    long left_;
    bool cut_ = false;
    std::string held_;  // the last column, decided once we know whether more text follows
};

// Paints already-valid JSON: keys blue, strings green, numbers yellow, true/false/null magenta.
void paint_json(Painter& p, const Style& style, std::string_view json);

}  // namespace kpipe
