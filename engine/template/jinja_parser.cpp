// Recursive descent over the lexer's tokens, with Jinja's operator precedence (lowest first):
// "x if c else y", or, and, not, comparisons and "in", + and -, ~, * / // %, unary minus, then
// filters and "is" tests after subscripts, attributes and calls.
#include "jinja_parser.h"

#include <charconv>

#include "jinja_errors.h"
#include "jinja_lexer.h"

namespace q8::jinja {

namespace {

// Deeper nesting than any real template needs, shallow enough that the recursive parser and
// renderer cannot run out of stack.
constexpr int kMaxDepth = 64;

// Statements Jinja has that chat templates of the supported families do not use.
constexpr std::string_view kUnsupportedStatements[] = {
    "macro", "call",       "filter", "include",    "import", "from",     "extends", "block",
    "with",  "autoescape", "raw",    "generation", "break",  "continue", "do",
};

class Parser {
public:
    explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

    Body run() {
        std::string end;
        Body body = parse_body({}, end);
        return body;
    }

private:
    struct DepthGuard {
        explicit DepthGuard(Parser& p) : p(p) {
            if (++p.depth_ > kMaxDepth) fail(p.peek().line, "the template nests deeper than 64 levels");
        }
        ~DepthGuard() { --p.depth_; }
        Parser& p;
    };

    const Token& peek(size_t ahead = 0) const { return t_[std::min(i_ + ahead, t_.size() - 1)]; }
    const Token& next() {
        const Token& t = t_[i_];
        if (i_ + 1 < t_.size()) ++i_;
        return t;
    }
    bool at(Token::Kind k, std::string_view text = {}, size_t ahead = 0) const {
        const Token& t = peek(ahead);
        return t.kind == k && (text.empty() || t.text == text);
    }
    bool at_op(std::string_view op) const { return at(Token::Kind::Operator, op); }
    bool at_name(std::string_view name) const { return at(Token::Kind::Name, name); }
    bool accept_op(std::string_view op) {
        if (!at_op(op)) return false;
        next();
        return true;
    }
    bool accept_name(std::string_view name) {
        if (!at_name(name)) return false;
        next();
        return true;
    }
    static std::string describe(const Token& t) {
        switch (t.kind) {
        case Token::Kind::Text: return "text";
        case Token::Kind::OutputBegin: return "'{{'";
        case Token::Kind::OutputEnd: return "'}}'";
        case Token::Kind::StatementBegin: return "'{%'";
        case Token::Kind::StatementEnd: return "'%}'";
        case Token::Kind::String: return "a string";
        case Token::Kind::Integer: return "the number " + t.text;
        case Token::Kind::End: return "the end of the template";
        default: return "'" + t.text + "'";
        }
    }
    void expect_op(std::string_view op) {
        if (!accept_op(op)) fail(peek().line, "expected '" + std::string(op) + "' but found " + describe(peek()));
    }
    void expect(Token::Kind k, std::string_view what) {
        if (!at(k)) fail(peek().line, "expected " + std::string(what) + " but found " + describe(peek()));
        next();
    }
    std::string expect_name(std::string_view what) {
        if (!at(Token::Kind::Name))
            fail(peek().line, "expected " + std::string(what) + " but found " + describe(peek()));
        return next().text;
    }

    // ---- statements

    // Nodes up to a {% tag %} whose keyword is in `ends` (consumed up to the keyword, which is
    // returned in `end`), or to the end of the template when `ends` is empty.
    Body parse_body(std::initializer_list<std::string_view> ends, std::string& end) {
        DepthGuard guard(*this);
        Body body;
        while (true) {
            const Token& t = peek();
            if (t.kind == Token::Kind::End) {
                if (ends.size() == 0) return body;
                end.clear();
                return body;  // the caller reports the unclosed block with its own line
            }
            if (t.kind == Token::Kind::Text) {
                Node n;
                n.kind = Node::Kind::Text;
                n.line = t.line;
                n.text = next().text;
                body.push_back(std::move(n));
                continue;
            }
            if (t.kind == Token::Kind::OutputBegin) {
                Node n;
                n.kind = Node::Kind::Output;
                n.line = next().line;
                n.expr = parse_expression();
                expect(Token::Kind::OutputEnd, "'}}'");
                body.push_back(std::move(n));
                continue;
            }
            // {% keyword ... %}
            const int line = next().line;
            const std::string keyword = expect_name("a statement keyword after '{%'");
            for (std::string_view e : ends) {
                if (keyword == e) {
                    end = keyword;
                    return body;
                }
            }
            body.push_back(parse_statement(keyword, line));
        }
    }

    Node parse_statement(const std::string& keyword, int line) {
        Node n;
        n.line = line;
        if (keyword == "if") {
            parse_if(n);
        } else if (keyword == "for") {
            parse_for(n);
        } else if (keyword == "set") {
            parse_set(n);
        } else {
            for (std::string_view u : kUnsupportedStatements) {
                if (keyword == u) unsupported(line, "the {% " + keyword + " %} statement");
            }
            if (keyword.starts_with("end") || keyword == "else" || keyword == "elif") {
                fail(line, "{% " + keyword + " %} without a block it closes");
            }
            unsupported(line, "the {% " + keyword + " %} statement");
        }
        return n;
    }

    void parse_if(Node& n) {
        n.kind = Node::Kind::If;
        std::string end = "elif";
        while (end == "elif") {
            Branch b;
            b.condition = parse_expression();
            expect(Token::Kind::StatementEnd, "'%}'");
            b.body = parse_body({"elif", "else", "endif"}, end);
            n.branches.push_back(std::move(b));
        }
        if (end == "else") {
            expect(Token::Kind::StatementEnd, "'%}'");
            Branch b;
            b.body = parse_body({"endif"}, end);
            n.branches.push_back(std::move(b));
        }
        close_block(n.line, "if", end, "endif");
    }

    void parse_for(Node& n) {
        n.kind = Node::Kind::For;
        n.targets.push_back(expect_name("a loop variable after 'for'"));
        while (accept_op(",")) n.targets.push_back(expect_name("a loop variable after ','"));
        if (!accept_name("in")) fail(peek().line, "expected 'in' but found " + describe(peek()));
        n.expr = parse_expression(/*allow_ternary=*/false);
        if (accept_name("if")) n.condition = parse_expression(false);
        if (at_name("recursive")) unsupported(peek().line, "recursive loops");
        expect(Token::Kind::StatementEnd, "'%}'");
        std::string end;
        n.body = parse_body({"else", "endfor"}, end);
        if (end == "else") {
            expect(Token::Kind::StatementEnd, "'%}'");
            n.else_body = parse_body({"endfor"}, end);
        }
        close_block(n.line, "for", end, "endfor");
    }

    void parse_set(Node& n) {
        n.kind = Node::Kind::Set;
        n.targets.push_back(expect_name("a variable name after 'set'"));
        if (accept_op(".")) n.attribute = expect_name("an attribute name after '.'");
        if (at_op(",")) unsupported(n.line, "{% set %} with several targets");
        if (at(Token::Kind::StatementEnd)) unsupported(n.line, "the {% set %} ... {% endset %} block");
        expect_op("=");
        n.expr = parse_expression();
        expect(Token::Kind::StatementEnd, "'%}'");
    }

    void close_block(int line, std::string_view opener, const std::string& end, std::string_view closer) {
        if (end != closer) {
            fail(line, "{% " + std::string(opener) + " %} is never closed with {% " + std::string(closer) + " %}");
        }
        expect(Token::Kind::StatementEnd, "'%}'");
    }

    // ---- expressions

    ExprPtr make(Expr::Kind kind, int line, std::string name = {}) {
        auto e = std::make_unique<Expr>();
        e->kind = kind;
        e->line = line;
        e->name = std::move(name);
        return e;
    }
    ExprPtr binary(std::string op, ExprPtr a, ExprPtr b) {
        ExprPtr e = make(Expr::Kind::Binary, a->line, std::move(op));
        e->args.push_back(std::move(a));
        e->args.push_back(std::move(b));
        return e;
    }

    ExprPtr parse_expression(bool allow_ternary = true) {
        DepthGuard guard(*this);
        ExprPtr value = parse_or();
        if (!allow_ternary || !at_name("if")) return value;
        const int line = next().line;
        ExprPtr e = make(Expr::Kind::Ternary, line);
        e->args.push_back(std::move(value));
        e->args.push_back(parse_or());
        e->args.push_back(accept_name("else") ? parse_expression() : nullptr);
        return e;
    }

    ExprPtr parse_or() {
        ExprPtr e = parse_and();
        while (accept_name("or")) e = binary("or", std::move(e), parse_and());
        return e;
    }

    ExprPtr parse_and() {
        ExprPtr e = parse_not();
        while (accept_name("and")) e = binary("and", std::move(e), parse_not());
        return e;
    }

    ExprPtr parse_not() {
        if (!at_name("not")) return parse_compare();
        DepthGuard guard(*this);
        ExprPtr e = make(Expr::Kind::Unary, next().line, "not");
        e->args.push_back(parse_not());
        return e;
    }

    // The comparison operator at the cursor ("not in" counts as one), or "".
    std::string comparison_at() const {
        for (std::string_view op : {"==", "!=", "<", ">", "<=", ">="}) {
            if (at_op(op)) return std::string(op);
        }
        if (at_name("in")) return "in";
        if (at_name("not") && at(Token::Kind::Name, "in", 1)) return "not in";
        return {};
    }

    ExprPtr parse_compare() {
        ExprPtr e = parse_additive();
        std::string op = comparison_at();
        if (op.empty()) return e;
        next();
        if (op == "not in") next();
        e = binary(op, std::move(e), parse_additive());
        if (!comparison_at().empty()) unsupported(peek().line, "chained comparisons (a < b < c)");
        return e;
    }

    ExprPtr parse_additive() {
        ExprPtr e = parse_concat();
        while (at_op("+") || at_op("-")) {
            std::string op = next().text;
            e = binary(std::move(op), std::move(e), parse_concat());
        }
        return e;
    }

    ExprPtr parse_concat() {
        ExprPtr e = parse_multiplicative();
        while (accept_op("~")) e = binary("~", std::move(e), parse_multiplicative());
        return e;
    }

    ExprPtr parse_multiplicative() {
        ExprPtr e = parse_unary();
        while (at_op("*") || at_op("/") || at_op("//") || at_op("%")) {
            std::string op = next().text;
            e = binary(std::move(op), std::move(e), parse_unary());
        }
        return e;
    }

    ExprPtr parse_unary() {
        DepthGuard guard(*this);
        if (at_op("-")) {
            ExprPtr e = make(Expr::Kind::Unary, next().line, "-");
            e->args.push_back(parse_unary());
            return e;
        }
        ExprPtr e = parse_postfix(parse_primary());
        while (true) {
            if (accept_op("|")) {
                ExprPtr f = make(Expr::Kind::Filter, peek().line, expect_name("a filter name after '|'"));
                f->args.push_back(std::move(e));
                if (at_op("(")) parse_call_arguments(*f);
                e = parse_postfix(std::move(f));
            } else if (at_name("is")) {
                ExprPtr t = make(Expr::Kind::Test, next().line);
                t->negated = accept_name("not");
                t->name = expect_name("a test name after 'is'");
                t->args.push_back(std::move(e));
                if (at_op("(")) parse_call_arguments(*t);
                e = std::move(t);
            } else {
                return e;
            }
        }
    }

    ExprPtr parse_postfix(ExprPtr e) {
        while (true) {
            const int line = peek().line;
            if (accept_op(".")) {
                ExprPtr a = make(Expr::Kind::Attr, line, expect_name("an attribute name after '.'"));
                a->args.push_back(std::move(e));
                e = std::move(a);
            } else if (accept_op("[")) {
                e = parse_subscript(std::move(e), line);
            } else if (at_op("(")) {
                ExprPtr c = make(Expr::Kind::Call, line);
                c->args.push_back(std::move(e));
                parse_call_arguments(*c);
                e = std::move(c);
            } else {
                return e;
            }
        }
    }

    // After "[": an index or a slice.
    ExprPtr parse_subscript(ExprPtr object, int line) {
        ExprPtr first = at_op(":") ? nullptr : parse_expression();
        if (accept_op("]")) {
            ExprPtr e = make(Expr::Kind::Index, line);
            e->args.push_back(std::move(object));
            e->args.push_back(std::move(first));
            return e;
        }
        ExprPtr e = make(Expr::Kind::Slice, line);
        e->args.push_back(std::move(object));
        e->args.push_back(std::move(first));
        for (int part = 0; part < 2; ++part) {
            if (!accept_op(":")) {
                e->args.push_back(nullptr);
                continue;
            }
            e->args.push_back(at_op(":") || at_op("]") ? nullptr : parse_expression());
        }
        expect_op("]");
        return e;
    }

    // "(a, b, key=c)" into e's arguments after the ones it already has.
    void parse_call_arguments(Expr& e) {
        expect_op("(");
        while (!accept_op(")")) {
            if (at(Token::Kind::Name) && at(Token::Kind::Operator, "=", 1)) {
                std::string key = next().text;
                next();
                e.kwargs.emplace_back(std::move(key), parse_expression());
            } else {
                if (!e.kwargs.empty()) fail(peek().line, "a positional argument after a keyword argument");
                e.args.push_back(parse_expression());
            }
            if (!at_op(")")) expect_op(",");
        }
    }

    ExprPtr parse_primary() {
        const Token& t = peek();
        const int line = t.line;
        ExprPtr e = make(Expr::Kind::Literal, line);
        switch (t.kind) {
        case Token::Kind::Name: {
            const std::string name = next().text;
            if (name == "true" || name == "True") {
                e->value = true;
            } else if (name == "false" || name == "False") {
                e->value = false;
            } else if (name == "none" || name == "None") {
                e->value = nullptr;
            } else {
                e->kind = Expr::Kind::Name;
                e->name = name;
            }
            return e;
        }
        case Token::Kind::String: {
            std::string s = next().text;
            while (at(Token::Kind::String)) s += next().text;  // adjacent literals join, as in Python
            e->value = std::move(s);
            return e;
        }
        case Token::Kind::Integer: {
            int64_t v = 0;
            const std::string& digits = next().text;
            const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v);
            if (r.ec != std::errc{}) fail(line, "the number " + digits + " is too large");
            e->value = v;
            return e;
        }
        case Token::Kind::Operator:
            if (accept_op("(")) {
                ExprPtr inner = parse_expression();
                if (at_op(",")) unsupported(line, "tuples");
                expect_op(")");
                return inner;
            }
            if (accept_op("[")) {
                e->kind = Expr::Kind::List;
                while (!accept_op("]")) {
                    e->args.push_back(parse_expression());
                    if (!at_op("]")) expect_op(",");
                }
                return e;
            }
            if (accept_op("{")) {
                e->kind = Expr::Kind::Dict;
                while (!accept_op("}")) {
                    e->args.push_back(parse_expression());
                    expect_op(":");
                    e->args.push_back(parse_expression());
                    if (!at_op("}")) expect_op(",");
                }
                return e;
            }
            break;
        default: break;
        }
        fail(line, "expected a value but found " + describe(t));
    }

    std::vector<Token> t_;
    size_t i_ = 0;
    int depth_ = 0;
};

}  // namespace

Body parse(std::string_view source) { return Parser(lex(source)).run(); }

}  // namespace q8::jinja
