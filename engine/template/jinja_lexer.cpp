// The template's text and tags, token by token. Whitespace control edits the text between tags
// before it becomes a token, so the parser and renderer never see it.
#include "jinja_lexer.h"

#include "jinja_errors.h"

namespace q8::jinja {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
public:
    explicit Lexer(std::string_view s) : src_(s) {}

    std::vector<Token> run() {
        size_t text_begin = 0;
        size_t pos = 0;
        while (true) {
            const size_t open = next_tag(pos);
            size_t text_end = open == std::string_view::npos ? src_.size() : open;
            if (open != std::string_view::npos) text_end = strip_before_tag(open, text_begin, text_end);
            if (text_end > text_begin) {
                push(Token::Kind::Text, std::string(src_.substr(text_begin, text_end - text_begin)), text_begin);
            }
            if (open == std::string_view::npos) break;
            const char kind = src_[open + 1];
            size_t after = 0;  // the first character after the closing delimiter
            bool strip_after = false;
            if (kind == '#') {
                const size_t close = src_.find("#}", open + 2);
                if (close == std::string_view::npos) fail(line_of(open), "a comment {# is never closed with #}");
                strip_after = close > open + 2 && src_[close - 1] == '-';
                after = close + 2;
            } else {
                push(kind == '{' ? Token::Kind::OutputBegin : Token::Kind::StatementBegin, {}, open);
                after = lex_inside(open, kind == '{' ? '}' : '%', strip_after);
            }
            if (strip_after) {
                while (after < src_.size() && is_space(src_[after])) ++after;
            } else if (kind != '{') {
                after = trim_newline(after);  // trim_blocks
            }
            text_begin = pos = after;
        }
        push(Token::Kind::End, {}, src_.size());
        return std::move(tokens_);
    }

private:
    size_t next_tag(size_t from) const {
        for (size_t i = src_.find('{', from); i != std::string_view::npos; i = src_.find('{', i + 1)) {
            if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
        }
        return std::string_view::npos;
    }

    // "{%-" strips all whitespace before the tag; a statement or comment tag alone on its line
    // takes the line's indentation (lstrip_blocks).
    size_t strip_before_tag(size_t open, size_t text_begin, size_t text_end) const {
        const bool minus = open + 2 < src_.size() && src_[open + 2] == '-';
        if (minus) {
            while (text_end > text_begin && is_space(src_[text_end - 1])) --text_end;
            return text_end;
        }
        const bool plus = open + 2 < src_.size() && src_[open + 2] == '+';  // "{%+" keeps the indentation
        if (src_[open + 1] == '{' || plus) return text_end;
        size_t i = text_end;
        while (i > text_begin && (src_[i - 1] == ' ' || src_[i - 1] == '\t')) --i;
        const bool at_line_start = i == 0 || src_[i - 1] == '\n';
        return at_line_start && i >= text_begin ? i : text_end;
    }

    size_t trim_newline(size_t at) const {
        if (at < src_.size() && src_[at] == '\n') return at + 1;
        if (at + 1 < src_.size() && src_[at] == '\r' && src_[at + 1] == '\n') return at + 2;
        return at;
    }

    // Tokens up to the tag's closing "}}" or "%}"; returns the position after it.
    size_t lex_inside(size_t open, char closer, bool& strip_after) {
        size_t i = open + 2;
        if (i < src_.size() && (src_[i] == '-' || src_[i] == '+')) ++i;
        int braces = 0;  // a dict literal's "}" is not the tag's end
        const Token::Kind end_kind = closer == '}' ? Token::Kind::OutputEnd : Token::Kind::StatementEnd;
        const std::string end = std::string(1, closer) + "}";
        while (true) {
            while (i < src_.size() && is_space(src_[i])) ++i;
            if (i >= src_.size()) {
                fail(line_of(open), std::string("a tag opened with ") + (closer == '}' ? "{{" : "{%") +
                                        " is never closed with " + end);
            }
            if (braces == 0 && src_.compare(i, 3, "-" + end) == 0) {
                strip_after = true;
                push(end_kind, {}, i);
                return i + 3;
            }
            if (braces == 0 && src_.compare(i, 2, end) == 0) {
                push(end_kind, {}, i);
                return i + 2;
            }
            const char c = src_[i];
            if (is_name_start(c)) {
                size_t j = i + 1;
                while (j < src_.size() && (is_name_start(src_[j]) || is_digit(src_[j]))) ++j;
                push(Token::Kind::Name, std::string(src_.substr(i, j - i)), i);
                i = j;
            } else if (is_digit(c)) {
                size_t j = i + 1;
                while (j < src_.size() && is_digit(src_[j])) ++j;
                if (j + 1 < src_.size() && src_[j] == '.' && is_digit(src_[j + 1])) {
                    unsupported(line_of(i), "floating-point number literals");
                }
                push(Token::Kind::Integer, std::string(src_.substr(i, j - i)), i);
                i = j;
            } else if (c == '\'' || c == '"') {
                i = lex_string(i);
            } else {
                i = lex_operator(i, braces);
            }
        }
    }

    size_t lex_string(size_t start) {
        const char quote = src_[start];
        std::string value;
        size_t i = start + 1;
        while (true) {
            if (i >= src_.size()) fail(line_of(start), "a string is never closed");
            const char c = src_[i];
            if (c == quote) break;
            if (c == '\\' && i + 1 < src_.size()) {
                const char e = src_[++i];
                switch (e) {
                case 'n': value += '\n'; break;
                case 't': value += '\t'; break;
                case 'r': value += '\r'; break;
                case '\\':
                case '\'':
                case '"': value += e; break;
                default: value += '\\', value += e;  // Python keeps unknown escapes as written
                }
            } else {
                value += c;
            }
            ++i;
        }
        push(Token::Kind::String, std::move(value), start);
        return i + 1;
    }

    size_t lex_operator(size_t i, int& braces) {
        static constexpr std::string_view kTwo[] = {"==", "!=", "<=", ">=", "//", "**"};
        for (std::string_view op : kTwo) {
            if (src_.compare(i, 2, op) == 0) {
                if (op == "**") unsupported(line_of(i), "the ** operator");
                push(Token::Kind::Operator, std::string(op), i);
                return i + 2;
            }
        }
        const char c = src_[i];
        if (std::string_view("()[]{}.,:|~+-*/%<>=").find(c) == std::string_view::npos) {
            fail(line_of(i), std::string("unexpected character '") + c + "'");
        }
        if (c == '{') ++braces;
        if (c == '}') --braces;
        push(Token::Kind::Operator, std::string(1, c), i);
        return i + 1;
    }

    int line_of(size_t at) {
        // Tokens come in source order, so the count only moves forward.
        for (; counted_ < at && counted_ < src_.size(); ++counted_) {
            if (src_[counted_] == '\n') ++line_;
        }
        return line_;
    }

    void push(Token::Kind kind, std::string text, size_t at) {
        tokens_.push_back(Token{kind, std::move(text), line_of(at)});
    }

    std::string_view src_;
    std::vector<Token> tokens_;
    size_t counted_ = 0;
    int line_ = 1;
};

}  // namespace

std::vector<Token> lex(std::string_view source) { return Lexer(source).run(); }

}  // namespace q8::jinja
