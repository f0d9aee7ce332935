#pragma once
// A parsed chat template: the lexer's tokens and the parser's tree of plain structs that the
// renderer walks. Every token and node keeps its source line for error messages.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "jinja_value.h"

namespace q8::jinja {

struct Token {
    enum class Kind {
        Text,         // literal text between tags (whitespace control already applied)
        OutputBegin,  // {{
        OutputEnd,    // }}
        StatementBegin,
        StatementEnd,
        Name,
        String,
        Integer,
        Operator,  // punctuation and operators: ( ) [ ] { } . , : | ~ + - * / // % == != < > <= >= =
        End,
    };
    Kind kind = Kind::End;
    std::string text;  // the name, the string's value, the digits or the operator
    int line = 1;
};

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
    enum class Kind {
        Literal,  // value
        Name,     // name
        List,     // args: items
        Dict,     // args: key, value, key, value, ...
        Attr,     // args[0].name
        Index,    // args[0][args[1]]
        Slice,    // args[0][args[1]:args[2]:args[3]] (null where omitted)
        Call,     // args[0](args[1..], kwargs)
        Filter,   // args[0] | name(args[1..], kwargs)
        Test,     // args[0] is [not] name(args[1..])
        Unary,    // name ("not", "-") args[0]
        Binary,   // args[0] name args[1]
        Ternary,  // args[0] if args[1] else args[2] (args[2] null: undefined)
    };
    Kind kind = Kind::Literal;
    int line = 1;
    Value value;
    std::string name;
    std::vector<ExprPtr> args;
    std::vector<std::pair<std::string, ExprPtr>> kwargs;
    bool negated = false;  // Test: "is not"
};

struct Node;
using Body = std::vector<Node>;

struct Branch {
    ExprPtr condition;  // null: else
    Body body;
};

struct Node {
    enum class Kind {
        Text,    // text
        Output,  // {{ expr }}
        If,      // branches, in order; the last may be an else
        For,     // for targets in expr [if condition]: body [else: else_body]
        Set,     // set targets[0] (.attribute when not empty) = expr
    };
    Kind kind = Kind::Text;
    int line = 1;
    std::string text;
    ExprPtr expr;
    ExprPtr condition;
    std::vector<std::string> targets;
    std::string attribute;
    std::vector<Branch> branches;
    Body body, else_body;
};

}  // namespace q8::jinja
