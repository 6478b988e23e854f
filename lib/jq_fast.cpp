#include "jq_fast.hpp"

#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "codec.hpp"
#include "timestamp.hpp"

namespace kpipe {

namespace {

// A value as the evaluator sees it. `element` holds arrays and objects (and is normalised
// away for scalars); `envelope` is the record's envelope object, read field by field.
struct V {
    enum Kind { empty, null, boolean, number, string, element, envelope } kind = null;
    bool b = false;
    double n = 0;
    std::string_view s;
    simdjson::dom::element e;
};

V null_v() { return {}; }
V bool_v(bool b) {
    V v;
    v.kind = V::boolean;
    v.b = b;
    return v;
}
V num_v(double n) {
    V v;
    v.kind = V::number;
    v.n = n;
    return v;
}
V str_v(std::string_view s) {
    V v;
    v.kind = V::string;
    v.s = s;
    return v;
}
V empty_v() {
    V v;
    v.kind = V::empty;
    return v;
}

// Not modelled here, or a jq error: libjq decides.
struct AskJq {};

V of(simdjson::dom::element e) {
    using T = simdjson::dom::element_type;
    switch (e.type()) {
        case T::NULL_VALUE: return null_v();
        case T::BOOL: return bool_v(bool(e));
        case T::INT64: return num_v(static_cast<double>(int64_t(e)));
        case T::UINT64: return num_v(static_cast<double>(uint64_t(e)));
        case T::DOUBLE: return num_v(double(e));
        case T::STRING: return str_v(std::string_view(e));
        case T::ARRAY:
        case T::OBJECT: break;
    }
    V v;
    v.kind = V::element;
    v.e = e;
    return v;
}

bool truthy(const V& v) { return !(v.kind == V::null || (v.kind == V::boolean && !v.b)); }

// jq's order of kinds: null < false < true < numbers < strings < arrays < objects.
int rank(const V& v) {
    switch (v.kind) {
        case V::null: return 0;
        case V::boolean: return v.b ? 2 : 1;
        case V::number: return 3;
        case V::string: return 4;
        case V::element: return v.e.type() == simdjson::dom::element_type::ARRAY ? 5 : 6;
        case V::envelope: return 6;
        case V::empty: break;
    }
    return -1;
}

// <0, 0, >0 as jq orders a and b.
int compare(const V& a, const V& b) {
    int ra = rank(a), rb = rank(b);
    if (ra != rb) return ra < rb ? -1 : 1;
    switch (a.kind) {
        case V::number: return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
        case V::string: {
            int c = std::memcmp(a.s.data(), b.s.data(), std::min(a.s.size(), b.s.size()));
            if (c != 0) return c;
            return a.s.size() < b.s.size() ? -1 : a.s.size() > b.s.size() ? 1 : 0;
        }
        case V::element:
        case V::envelope: throw AskJq{};  // arrays and objects: jq's deep order
        default: return 0;
    }
}

}  // namespace

struct FastFilter::Node {
    enum Op { identity, field, index, literal, cmp, and_, or_, alt, pipe, not_, select, starts, ends, contains } op;
    std::string text;  // field name, or string argument
    int64_t at = 0;    // index
    bool optional = false;
    std::string cmp_op;
    std::unique_ptr<Node> a, b;  // operands; for paths, `a` is the base
    nlohmann::json lit;
};

// What one evaluation needs: the record (envelope mode) or the document, and the parsers.
struct FastFilter::Eval {
    simdjson::dom::parser key_parser, value_parser, doc_parser;
    EnvelopeWriter classifier;
    std::string key_pad, value_pad, doc_pad, iso;
    const RecordView* record = nullptr;
    bool iso_time = false;
    bool key_done = false, value_done = false;
    V key, value;
    V key_encoding, value_encoding;

    bool usable = true;

    Eval() {
        // The envelope embeds a payload one level down: what it calls JSON nests one less.
        for (auto* p : {&key_parser, &value_parser})
            if (p->allocate(simdjson::dom::MINIMAL_DOCUMENT_CAPACITY, simdjson::DEFAULT_MAX_DEPTH - 1)) usable = false;
    }

    // A payload as the envelope shows it: embedded JSON, a text string, or base64 (not
    // modelled); the encoding field next to it.
    void payload(const std::optional<std::string_view>& bytes, simdjson::dom::parser& parser, std::string& pad,
                 V& out, V& encoding) {
        encoding = null_v();
        if (!bytes) {
            out = null_v();
            return;
        }
        std::string_view b = *bytes;
        auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
        if (!b.empty() && !space(b.front()) && !space(b.back()) && b.find('\n') == std::string_view::npos &&
            b.find('\r') == std::string_view::npos && b != "null") {
            simdjson::dom::element e;
            if (parse_json(parser, pad, b, e) == simdjson::SUCCESS) {
                out = of(e);
                return;
            }
            if (classifier.classify(b) == Encoding::json) throw AskJq{};  // JSON simdjson's DOM cannot hold
        }
        if (!is_utf8(b)) throw AskJq{};  // base64
        out = str_v(b);
        encoding = str_v("text");
    }

    V envelope_field(std::string_view name) {
        const RecordView& r = *record;
        if (name == "topic") return str_v(r.topic);
        if (name == "partition") return num_v(r.partition);
        if (name == "offset") return num_v(static_cast<double>(r.offset));
        if (name == "timestamp") {
            if (r.timestamp < 0) return null_v();
            if (!iso_time) return num_v(static_cast<double>(r.timestamp));
            iso = format_iso_utc(r.timestamp);
            return str_v(iso);
        }
        if (name == "timestamp_type")
            return str_v(r.timestamp_type == TimestampType::create       ? "create"
                         : r.timestamp_type == TimestampType::log_append ? "log_append"
                                                                           : "none");
        if (name == "key" || name == "key_encoding") {
            if (!key_done) payload(r.key, key_parser, key_pad, key, key_encoding);
            key_done = true;
            return name == "key" ? key : key_encoding;
        }
        if (name == "value" || name == "value_encoding") {
            if (!value_done) payload(r.value, value_parser, value_pad, value, value_encoding);
            value_done = true;
            return name == "value" ? value : value_encoding;
        }
        if (name == "headers") throw AskJq{};
        return null_v();
    }

    V field(const V& in, const std::string& name) {
        switch (in.kind) {
            case V::null: return null_v();
            case V::envelope: return envelope_field(name);
            case V::element: {
                simdjson::dom::object o;
                if (in.e.get_object().get(o) != simdjson::SUCCESS) throw AskJq{};  // an array: jq error
                simdjson::dom::element e;
                if (o.at_key(name).get(e) != simdjson::SUCCESS) return null_v();
                return of(e);
            }
            default: throw AskJq{};  // indexing a scalar: jq error
        }
    }

    V index(const V& in, int64_t at) {
        if (in.kind == V::null) return null_v();
        if (in.kind != V::element) throw AskJq{};
        simdjson::dom::array a;
        if (in.e.get_array().get(a) != simdjson::SUCCESS) throw AskJq{};
        int64_t size = static_cast<int64_t>(a.size());
        if (at < 0) at += size;
        if (at < 0 || at >= size) return null_v();
        simdjson::dom::element e;
        if (a.at(static_cast<size_t>(at)).get(e) != simdjson::SUCCESS) return null_v();
        return of(e);
    }

    static V literal(const nlohmann::json& j) {
        if (j.is_null()) return null_v();
        if (j.is_boolean()) return bool_v(j.get<bool>());
        if (j.is_number()) return num_v(j.get<double>());
        return str_v(j.get_ref<const std::string&>());
    }

    V eval(const Node& n, const V& in) {
        using Op = Node::Op;
        switch (n.op) {
            case Op::identity: return in;
            case Op::literal: return literal(n.lit);
            case Op::field:
            case Op::index: {
                V base = eval(*n.a, in);
                if (base.kind == V::empty) return base;
                if (!n.optional) return n.op == Op::field ? field(base, n.text) : index(base, n.at);
                try {
                    return n.op == Op::field ? field(base, n.text) : index(base, n.at);
                } catch (const AskJq&) {
                    // `?`: an error means no output, unless we only lack the model.
                    if (base.kind == V::envelope) throw;
                    return empty_v();
                }
            }
            case Op::cmp: {
                V l = eval(*n.a, in), r = eval(*n.b, in);
                if (l.kind == V::empty || r.kind == V::empty) return empty_v();
                int c = compare(l, r);
                const std::string& o = n.cmp_op;
                return bool_v(o == "==" ? c == 0 : o == "!=" ? c != 0 : o == "<" ? c < 0 : o == "<=" ? c <= 0 : o == ">" ? c > 0 : c >= 0);
            }
            case Op::and_:
            case Op::or_: {
                V l = eval(*n.a, in);
                if (l.kind == V::empty) return l;
                bool lt = truthy(l);
                if (n.op == Op::and_ && !lt) return bool_v(false);
                if (n.op == Op::or_ && lt) return bool_v(true);
                V r = eval(*n.b, in);
                if (r.kind == V::empty) return r;
                return bool_v(truthy(r));
            }
            case Op::alt: {
                V l;
                l = eval(*n.a, in);  // an error on the left would be hidden by //: AskJq passes it to jq
                if (l.kind != V::empty && truthy(l)) return l;
                return eval(*n.b, in);
            }
            case Op::pipe: {
                V l = eval(*n.a, in);
                if (l.kind == V::empty) return l;
                return eval(*n.b, l);
            }
            case Op::not_: return in.kind == V::empty ? in : bool_v(!truthy(in));
            case Op::select: {
                V c = eval(*n.a, in);
                if (c.kind == V::empty || !truthy(c)) return empty_v();
                return in;
            }
            case Op::starts:
            case Op::ends:
            case Op::contains: {
                if (in.kind != V::string) throw AskJq{};  // jq errors, or other meanings
                std::string_view s = in.s, t = n.text;
                if (n.op == Op::starts) return bool_v(s.starts_with(t));
                if (n.op == Op::ends) return bool_v(s.ends_with(t));
                return bool_v(s.find(t) != std::string_view::npos);
            }
        }
        throw AskJq{};
    }
};

namespace {

// A recursive-descent parser for the subset; any surprise means "not in the subset".
class Parser {
public:
    explicit Parser(std::string_view t) : t_(t) {}
    std::unique_ptr<FastFilter::Node> parse() {
        auto n = pipe();
        if (!n) return nullptr;
        skip();
        return at_ == t_.size() ? std::move(n) : nullptr;
    }

private:
    using N = FastFilter::Node;
    using P = std::unique_ptr<N>;

    void skip() {
        while (at_ < t_.size() && (t_[at_] == ' ' || t_[at_] == '\t' || t_[at_] == '\n' || t_[at_] == '\r')) ++at_;
    }
    bool eat(std::string_view s) {
        skip();
        if (t_.substr(at_, s.size()) != s) return false;
        // Keywords must not run into a name: "and" is not "andx".
        if (std::isalpha(static_cast<unsigned char>(s.back())) && at_ + s.size() < t_.size() &&
            (std::isalnum(static_cast<unsigned char>(t_[at_ + s.size()])) || t_[at_ + s.size()] == '_'))
            return false;
        at_ += s.size();
        return true;
    }
    static P node(N::Op op, P a = nullptr, P b = nullptr) {
        auto n = std::make_unique<N>();
        n->op = op;
        n->a = std::move(a);
        n->b = std::move(b);
        return n;
    }

    P pipe() {
        auto l = alt();
        while (l && eat("|")) l = node(N::pipe, std::move(l), alt());
        return l && (l->op != N::pipe || l->b) ? std::move(l) : nullptr;
    }
    // l TOKEN r TOKEN r ..., left-associative, each side parsed by `side`.
    P chain(P (Parser::*side)(), std::string_view token, N::Op op) {
        auto l = (this->*side)();
        while (l && eat(token)) {
            auto r = (this->*side)();
            if (!r) return nullptr;
            l = node(op, std::move(l), std::move(r));
        }
        return l;
    }
    P alt() { return chain(&Parser::or_, "//", N::alt); }
    P or_() { return chain(&Parser::and_, "or", N::or_); }
    P and_() { return chain(&Parser::cmp, "and", N::and_); }
    P cmp() {
        auto l = postfix();
        if (!l) return nullptr;
        for (std::string_view op : {"==", "!=", "<=", ">=", "<", ">"}) {
            skip();
            if (t_.substr(at_, op.size()) != op || (op.size() == 1 && t_.substr(at_, 2) == "//")) continue;
            at_ += op.size();
            auto r = postfix();
            if (!r) return nullptr;
            auto n = node(N::cmp, std::move(l), std::move(r));
            n->cmp_op = op;
            return n;
        }
        return l;
    }
    P postfix() {
        skip();
        if (at_ >= t_.size()) return nullptr;
        char c = t_[at_];
        if (c == '(') {
            ++at_;
            auto n = pipe();
            if (!n || !eat(")")) return nullptr;
            return n;
        }
        if (c == '.') return path();
        if (c == '"' || c == '-' || std::isdigit(static_cast<unsigned char>(c))) return literal();
        for (auto [word, op] : {std::pair{"true", 0}, {"false", 0}, {"null", 0}}) {
            (void)op;
            if (eat(word)) {
                auto n = node(N::literal);
                n->lit = nlohmann::json::parse(word);
                return n;
            }
        }
        if (eat("not")) return node(N::not_);
        if (eat("select")) {
            if (!eat("(")) return nullptr;
            auto a = pipe();
            if (!a || !eat(")")) return nullptr;
            return node(N::select, std::move(a));
        }
        for (auto [name, op] : {std::pair{"startswith", N::starts}, {"endswith", N::ends}, {"contains", N::contains}}) {
            if (!eat(name)) continue;
            if (!eat("(")) return nullptr;
            auto arg = literal();
            if (!arg || !arg->lit.is_string() || !eat(")")) return nullptr;
            auto n = node(op);
            n->text = arg->lit.get<std::string>();
            return n;
        }
        return nullptr;
    }
    P literal() {
        skip();
        size_t start = at_;
        if (t_[at_] == '"') {
            ++at_;
            while (at_ < t_.size() && t_[at_] != '"') at_ += t_[at_] == '\\' ? 2 : 1;
            if (at_ >= t_.size()) return nullptr;
            ++at_;
            // jq string interpolation \( ) is not a literal.
            if (t_.substr(start, at_ - start).find("\\(") != std::string_view::npos) return nullptr;
        } else {
            if (t_[at_] == '-') ++at_;
            while (at_ < t_.size() && (std::isdigit(static_cast<unsigned char>(t_[at_])) || t_[at_] == '.' ||
                                       t_[at_] == 'e' || t_[at_] == 'E' ||
                                       ((t_[at_] == '+' || t_[at_] == '-') && (t_[at_ - 1] == 'e' || t_[at_ - 1] == 'E'))))
                ++at_;
        }
        auto j = nlohmann::json::parse(t_.substr(start, at_ - start), nullptr, false);
        if (j.is_discarded() || !(j.is_string() || j.is_number())) return nullptr;
        if (j.is_number()) j = j.get<double>();
        auto n = node(N::literal);
        n->lit = std::move(j);
        return n;
    }
    // . | .a | ."a" | .["a"] | .[0], chained, each step optionally followed by ?
    P path() {
        ++at_;  // '.'
        P cur = node(N::identity);
        bool first = true;
        for (;;) {
            P step;
            if (first && at_ < t_.size() && (std::isalpha(static_cast<unsigned char>(t_[at_])) || t_[at_] == '_')) {
                step = name_step();
            } else if (first && at_ < t_.size() && t_[at_] == '"') {
                step = quoted_step();
            } else if (at_ < t_.size() && t_[at_] == '[') {
                step = bracket_step();
                if (!step) return nullptr;
            } else if (!first && at_ < t_.size() && t_[at_] == '.') {
                ++at_;
                if (at_ < t_.size() && t_[at_] == '"') step = quoted_step();
                else if (at_ < t_.size() && t_[at_] == '[') step = bracket_step();
                else step = name_step();
                if (!step) return nullptr;
            } else {
                break;
            }
            if (!step) return nullptr;
            if (at_ < t_.size() && t_[at_] == '?') {
                ++at_;
                step->optional = true;
            }
            step->a = std::move(cur);
            cur = std::move(step);
            first = false;
        }
        return cur;
    }
    P name_step() {
        size_t start = at_;
        while (at_ < t_.size() && (std::isalnum(static_cast<unsigned char>(t_[at_])) || t_[at_] == '_')) ++at_;
        if (at_ == start) return nullptr;
        auto n = node(N::field);
        n->text = std::string(t_.substr(start, at_ - start));
        return n;
    }
    P quoted_step() {
        auto lit = literal();
        if (!lit || !lit->lit.is_string()) return nullptr;
        auto n = node(N::field);
        n->text = lit->lit.get<std::string>();
        return n;
    }
    P bracket_step() {
        ++at_;  // '['
        auto lit = literal();
        if (!lit || !eat("]")) return nullptr;
        if (lit->lit.is_string()) {
            auto n = node(N::field);
            n->text = lit->lit.get<std::string>();
            return n;
        }
        double d = lit->lit.get<double>();
        if (d != static_cast<double>(static_cast<int64_t>(d))) return nullptr;
        auto n = node(N::index);
        n->at = static_cast<int64_t>(d);
        return n;
    }

    std::string_view t_;
    size_t at_ = 0;
};

}  // namespace

FastFilter::FastFilter() = default;
FastFilter::FastFilter(FastFilter&&) noexcept = default;
FastFilter& FastFilter::operator=(FastFilter&&) noexcept = default;
FastFilter::~FastFilter() = default;

std::optional<FastFilter> FastFilter::compile(std::string_view expr) {
    auto root = Parser(expr).parse();
    if (!root) return std::nullopt;
    FastFilter f;
    f.root_ = std::move(root);
    f.eval_ = std::make_unique<Eval>();
    return f;
}

FastFilter::Answer FastFilter::envelope(const RecordView& r, bool iso_time) {
    Eval& e = *eval_;
    if (!e.usable) return Answer::ask_jq;
    e.record = &r;
    e.iso_time = iso_time;
    e.key_done = e.value_done = false;
    V in;
    in.kind = V::envelope;
    try {
        V out = e.eval(*root_, in);
        return out.kind != V::empty && truthy(out) ? Answer::yes : Answer::no;
    } catch (const AskJq&) {
        return Answer::ask_jq;
    }
}

FastFilter::Answer FastFilter::value(const RecordView& r, bool iso_time, Value& out) {
    Eval& e = *eval_;
    if (!e.usable) return Answer::ask_jq;
    e.record = &r;
    e.iso_time = iso_time;
    e.key_done = e.value_done = false;
    V in;
    in.kind = V::envelope;
    try {
        V v = e.eval(*root_, in);
        out.text.clear();
        switch (v.kind) {
            case V::empty: out.kind = Value::none; break;
            case V::null: out.kind = Value::null, out.text = "null"; break;
            case V::boolean: out.kind = Value::boolean, out.text = v.b ? "true" : "false"; break;
            case V::number: {
                out.kind = Value::numeric;
                out.number = v.n;
                out.text = nlohmann::json(v.n).dump();  // as jq would print it, roughly: libjq decides below
                if (v.n == static_cast<double>(static_cast<int64_t>(v.n)) && std::abs(v.n) < 1e17)
                    out.text = std::to_string(static_cast<int64_t>(v.n));
                break;
            }
            case V::string: out.kind = Value::string, out.text = v.s; break;
            case V::element: out.kind = Value::json, out.text = simdjson::minify(v.e); break;
            case V::envelope: return Answer::ask_jq;
        }
        return Answer::yes;
    } catch (const AskJq&) {
        return Answer::ask_jq;
    }
}

FastFilter::Answer FastFilter::document(std::string_view json) {
    Eval& e = *eval_;
    simdjson::dom::element root;
    if (parse_json(e.doc_parser, e.doc_pad, json, root) != simdjson::SUCCESS) return Answer::ask_jq;
    try {
        V out = e.eval(*root_, of(root));
        return out.kind != V::empty && truthy(out) ? Answer::yes : Answer::no;
    } catch (const AskJq&) {
        return Answer::ask_jq;
    }
}

}  // namespace kpipe
