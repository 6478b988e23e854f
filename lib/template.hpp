// The -f TEMPLATE of consume: kcat-compatible tokens, compiled once into pieces.
//
//   %t topic   %p partition   %o offset   %k key   %s value   %T timestamp
//   %h headers (name=value,...)   %K key length   %S value length   %% a '%'
//   \n newline   \t tab   \r carriage return   \\ backslash   \0 NUL byte
//
// Key and value are written as their raw bytes (a null one as nothing); lengths of null
// are -1 as in kcat. %T is epoch ms, or ISO-8601 UTC with iso_time.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"
#include "record.hpp"

namespace kpipe {

class Template {
public:
    enum class Token { literal, topic, partition, offset, key, value, timestamp, headers, key_length, value_length };
    struct Piece {
        Token token = Token::literal;
        std::string text;  // for literal
        bool operator==(const Piece&) const = default;
    };

    // Errors (exit 2) name the bad token or escape and its position (1-based).
    static Result<Template> compile(std::string_view text, bool iso_time = false);
    void append(const RecordView& r, std::string& out) const;
    const std::vector<Piece>& pieces() const { return pieces_; }

private:
    std::vector<Piece> pieces_;
    bool iso_time_ = false;
};

}  // namespace kpipe
