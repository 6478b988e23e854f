#include "template.hpp"

#include <charconv>

#include "timestamp.hpp"

namespace kpipe {

namespace {

void append_int(std::string& out, int64_t v) {
    char buf[24];
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<size_t>(p - buf));
}

constexpr std::string_view kTokens = "%t %p %o %k %s %T %h %K %S %%";

}  // namespace

Result<Template> Template::compile(std::string_view text, bool iso_time) {
    Template t;
    t.iso_time_ = iso_time;
    std::string literal;
    auto push = [&](Token tok) {
        if (!literal.empty()) t.pieces_.push_back({Token::literal, std::move(literal)});
        literal.clear();
        t.pieces_.push_back({tok, {}});
    };
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%') {
            if (i + 1 == text.size())
                return fail(Exit::usage, "invalid format '{}': lone '%' at the end (position {}); use %% for a '%'",
                            text, i + 1);
            char n = text[++i];
            switch (n) {
                case 't': push(Token::topic); break;
                case 'p': push(Token::partition); break;
                case 'o': push(Token::offset); break;
                case 'k': push(Token::key); break;
                case 's': push(Token::value); break;
                case 'T': push(Token::timestamp); break;
                case 'h': push(Token::headers); break;
                case 'K': push(Token::key_length); break;
                case 'S': push(Token::value_length); break;
                case '%': literal += '%'; break;
                default:
                    return fail(Exit::usage, "invalid format '{}': unknown token '%{}' at position {} (tokens: {})",
                                text, n, i, kTokens);
            }
        } else if (c == '\\') {
            if (i + 1 == text.size())
                return fail(Exit::usage, "invalid format '{}': lone '\\' at the end (position {}); use \\\\", text,
                            i + 1);
            char n = text[++i];
            switch (n) {
                case 'n': literal += '\n'; break;
                case 't': literal += '\t'; break;
                case 'r': literal += '\r'; break;
                case '\\': literal += '\\'; break;
                case '0': literal += '\0'; break;
                default:
                    return fail(Exit::usage,
                                "invalid format '{}': unknown escape '\\{}' at position {} (escapes: \\n \\t \\r \\\\ \\0)",
                                text, n, i);
            }
        } else {
            literal += c;
        }
    }
    if (!literal.empty()) t.pieces_.push_back({Token::literal, std::move(literal)});
    return t;
}

void Template::append(const RecordView& r, std::string& out) const {
    for (const auto& p : pieces_) {
        switch (p.token) {
            case Token::literal: out += p.text; break;
            case Token::topic: out += r.topic; break;
            case Token::partition: append_int(out, r.partition); break;
            case Token::offset: append_int(out, r.offset); break;
            case Token::key:
                if (r.key) out += *r.key;
                break;
            case Token::value:
                if (r.value) out += *r.value;
                break;
            case Token::timestamp:
                if (iso_time_ && r.timestamp >= 0) out += format_iso_utc(r.timestamp);
                else append_int(out, r.timestamp);
                break;
            case Token::headers: {
                bool first = true;
                for (const auto& h : r.headers) {
                    if (!first) out += ',';
                    first = false;
                    out += h.name;
                    if (h.value) {
                        out += '=';
                        out += *h.value;
                    }
                }
                break;
            }
            case Token::key_length: append_int(out, r.key ? static_cast<int64_t>(r.key->size()) : -1); break;
            case Token::value_length: append_int(out, r.value ? static_cast<int64_t>(r.value->size()) : -1); break;
        }
    }
}

}  // namespace kpipe
