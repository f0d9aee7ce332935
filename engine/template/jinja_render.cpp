// Walks the template's tree: statements write to the output, expressions evaluate to values.
// Variables live in scopes: the caller's at the bottom, one per loop iteration above it, so a
// {% set %} inside a loop ends with the iteration, as in Jinja (namespace() objects carry values
// out of loops).
#include "jinja_render.h"

#include <algorithm>
#include <memory>
#include <optional>

#include <q8/error.h>

#include "jinja_builtins.h"
#include "jinja_errors.h"

namespace q8::jinja {

namespace {

[[noreturn]] void undefined_error(const Value& v, int line, std::string_view use) {
    fail(line,
         "'" + std::get<Undefined>(v.v).name + "' is undefined" + (use.empty() ? "" : " (" + std::string(use) + ")"));
}

void check_overflow(bool overflow, int line) {
    if (overflow) fail(line, "integer overflow");
}

class Renderer {
public:
    Renderer(const Map& variables, const RenderLimits& limits) : limits_(limits) { scopes_.push_back(variables); }

    std::string run(const Body& program) {
        exec(program);
        return std::move(out_);
    }

private:
    // ---- statements

    void exec(const Body& body) {
        for (const Node& n : body) exec(n);
    }

    void exec(const Node& n) {
        switch (n.kind) {
        case Node::Kind::Text: write(n.text, n.line); break;
        case Node::Kind::Output: {
            const Value v = eval(*n.expr);
            write(to_output(v), n.line);
            break;
        }
        case Node::Kind::If:
            for (const Branch& b : n.branches) {
                if (b.condition == nullptr || truthy(eval(*b.condition))) {
                    exec(b.body);
                    break;
                }
            }
            break;
        case Node::Kind::For: exec_for(n); break;
        case Node::Kind::Set: exec_set(n); break;
        }
    }

    void write(const std::string& s, int line) {
        if (out_.size() + s.size() > limits_.max_output_bytes) {
            fail(line, "the output passed " + std::to_string(limits_.max_output_bytes >> 20) + " MiB");
        }
        out_ += s;
    }

    void exec_for(const Node& n) {
        const Value iterable = eval(*n.expr);
        List items;
        if (iterable.is_list()) {
            items = iterable.as_list();
        } else if (iterable.is_map()) {
            for (const auto& [k, _] : iterable.as_map()) items.emplace_back(k);
        } else if (iterable.is_string()) {
            for (std::string_view c : characters(iterable.as_string())) items.emplace_back(std::string(c));
        } else if (!iterable.is_undefined()) {  // Jinja loops over an undefined value zero times
            fail(n.line, "cannot loop over " + std::string(type_name(iterable)));
        }
        if (n.condition != nullptr) {
            List kept;
            for (Value& item : items) {
                count_iteration(n.line);
                Scope scope(*this);
                bind_targets(n, item);
                if (truthy(eval(*n.condition))) kept.push_back(std::move(item));
            }
            items = std::move(kept);
        }
        if (items.empty()) {
            exec(n.else_body);
            return;
        }
        const auto length = static_cast<int64_t>(items.size());
        for (int64_t i = 0; i < length; ++i) {
            count_iteration(n.line);
            Scope scope(*this);
            bind_targets(n, items[static_cast<size_t>(i)]);
            Map loop{{"index0", i},
                     {"index", i + 1},
                     {"revindex0", length - i - 1},
                     {"revindex", length - i},
                     {"first", i == 0},
                     {"last", i == length - 1},
                     {"length", length}};
            if (i > 0) loop.emplace_back("previtem", items[static_cast<size_t>(i - 1)]);
            if (i + 1 < length) loop.emplace_back("nextitem", items[static_cast<size_t>(i + 1)]);
            assign("loop", Value(std::move(loop)));
            exec(n.body);
        }
    }

    void count_iteration(int line) {
        if (++iterations_ > limits_.max_iterations) {
            fail(line, "the loops ran more than " + std::to_string(limits_.max_iterations) + " times");
        }
    }

    void bind_targets(const Node& n, const Value& item) {
        if (n.targets.size() == 1) {
            assign(n.targets[0], item);
            return;
        }
        if (!item.is_list() || item.as_list().size() != n.targets.size()) {
            fail(n.line, "cannot unpack " + std::string(type_name(item)) + " into " + std::to_string(n.targets.size()) +
                             " loop variables");
        }
        for (size_t i = 0; i < n.targets.size(); ++i) assign(n.targets[i], item.as_list()[i]);
    }

    void exec_set(const Node& n) {
        Value v = eval(*n.expr);
        if (n.attribute.empty()) {
            assign(n.targets[0], std::move(v));
            return;
        }
        v = storable(std::move(v), n.line);
        Value* object = lookup(n.targets[0]);
        if (object == nullptr || !is_namespace(*object)) {
            fail(n.line,
                 "{% set " + n.targets[0] + "." + n.attribute + " %} needs '" + n.targets[0] + "' to be a namespace()");
        }
        Map& m = object->mutable_map();
        for (auto& [k, old] : m) {
            if (k == n.attribute) {
                old = std::move(v);
                return;
            }
        }
        m.emplace_back(n.attribute, std::move(v));
    }

    // Namespaces are the only values that change after they are made. Kept out of lists, maps and
    // other namespaces, they cannot link into a cycle or a chain deeper than a value's depth limit.
    Value storable(Value v, int line) const {
        if (is_namespace(v)) fail(line, "a namespace() cannot be stored in a list, a map or another namespace");
        return v;
    }

    bool is_namespace(const Value& v) const {
        return v.is_map() && std::any_of(namespaces_.begin(), namespaces_.end(),
                                         [&](const std::shared_ptr<Map>& ns) { return ns.get() == &v.as_map(); });
    }

    // ---- variables

    struct Scope {
        explicit Scope(Renderer& r) : r(r) { r.scopes_.emplace_back(); }
        ~Scope() { r.scopes_.pop_back(); }
        Renderer& r;
    };

    Value* lookup(const std::string& name) {
        for (auto s = scopes_.rbegin(); s != scopes_.rend(); ++s) {
            for (auto& [k, v] : *s) {
                if (k == name) return &v;
            }
        }
        return nullptr;
    }

    void assign(const std::string& name, Value v) {
        Map& scope = scopes_.back();
        for (auto& [k, old] : scope) {
            if (k == name) {
                old = std::move(v);
                return;
            }
        }
        scope.emplace_back(name, std::move(v));
    }

    // ---- expressions

    // Every string an expression yields is paid for by its length, which bounds the copying a
    // loop over a long string does (RenderLimits::max_work_bytes).
    Value eval(const Expr& e) {
        Value v = evaluate(e);
        if (v.is_string()) {
            check_work(v.as_string().size(), e.line);
            work_ += v.as_string().size();
        }
        return v;
    }

    void check_work(size_t bytes, int line) const {
        if (bytes > limits_.max_work_bytes - work_) {
            fail(line,
                 "the template handled more than " + std::to_string(limits_.max_work_bytes >> 20) + " MiB of text");
        }
    }

    Value evaluate(const Expr& e) {
        switch (e.kind) {
        case Expr::Kind::Literal: return e.value;
        case Expr::Kind::Name: {
            const Value* v = lookup(e.name);
            return v != nullptr ? *v : Value(Undefined{e.name});
        }
        case Expr::Kind::List: {
            List l;
            for (const ExprPtr& item : e.args) l.push_back(storable(eval(*item), e.line));
            return l;
        }
        case Expr::Kind::Dict: {
            Map m;
            for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
                const Value key = eval(*e.args[i]);
                if (!key.is_string()) fail(e.line, "map keys must be strings, not " + std::string(type_name(key)));
                m.emplace_back(key.as_string(), storable(eval(*e.args[i + 1]), e.line));
            }
            return m;
        }
        case Expr::Kind::Attr: return attribute(eval(*e.args[0]), e.name, e.line);
        case Expr::Kind::Index: return index(eval(*e.args[0]), eval(*e.args[1]), e.line);
        case Expr::Kind::Slice: return slice(e);
        case Expr::Kind::Call: return bounded(call(e), e.line);
        case Expr::Kind::Filter: {
            const Value input = eval(*e.args[0]);
            return bounded(apply_filter(e.name, input, eval_args(e), eval_kwargs(e), e.line, size_check(e.line)),
                           e.line);
        }
        case Expr::Kind::Test: {
            const Value input = eval(*e.args[0]);
            return apply_test(e.name, input, eval_args(e), e.line) != e.negated;
        }
        case Expr::Kind::Unary: {
            const Value v = eval(*e.args[0]);
            if (e.name == "not") return !truthy(v);
            if (!v.is_int()) fail(e.line, "cannot negate " + std::string(type_name(v)));
            check_overflow(v.as_int() == INT64_MIN, e.line);
            return -v.as_int();
        }
        case Expr::Kind::Binary: return bounded(binary(e), e.line);
        case Expr::Kind::Ternary:
            if (truthy(eval(*e.args[1]))) return eval(*e.args[0]);
            return e.args[2] != nullptr ? eval(*e.args[2]) : Value(Undefined{"the else of an if expression"});
        }
        return {};
    }

    // A value that doubles in a loop would pass any memory in a few dozen iterations; none may
    // outgrow what the output may hold.
    Value bounded(Value v, int line) const {
        if (v.is_string()) check_length(v.as_string().size(), line);
        if (v.is_list()) check_items(v.as_list().size(), line);
        return v;
    }

    void check_items(size_t items, int line) const {
        if (items > static_cast<size_t>(limits_.max_iterations)) {
            fail(line, "a list grew past " + std::to_string(limits_.max_iterations) + " items");
        }
    }

    void check_length(size_t bytes, int line) const {
        if (bytes > limits_.max_output_bytes) {
            fail(line, "a string grew past " + std::to_string(limits_.max_output_bytes >> 20) + " MiB");
        }
    }

    // For replace(), join() and split(): the errors bounded() and eval() would give the result
    // they are about to build, given before it is built.
    SizeCheck size_check(int line) const {
        return {[this, line](size_t bytes) {
                    check_length(bytes, line);
                    check_work(bytes, line);
                },
                [this, line](size_t items) { check_items(items, line); }};
    }

    Args eval_args(const Expr& e) {
        Args args;
        for (size_t i = 1; i < e.args.size(); ++i) args.push_back(eval(*e.args[i]));
        return args;
    }

    Kwargs eval_kwargs(const Expr& e) {
        Kwargs kwargs;
        for (const auto& [k, v] : e.kwargs) kwargs.emplace_back(k, eval(*v));
        return kwargs;
    }

    Value attribute(const Value& object, const std::string& name, int line) {
        if (object.is_undefined()) undefined_error(object, line, "reading ." + name);
        if (object.is_none()) fail(line, "none has no attribute '" + name + "'");
        if (object.is_map()) {
            const Value* v = find(object.as_map(), name);
            if (v != nullptr) return *v;
        }
        return Undefined{name};
    }

    Value index(const Value& object, const Value& key, int line) {
        if (object.is_undefined()) undefined_error(object, line, "indexing it");
        if (object.is_map()) {
            if (!key.is_string()) return Undefined{"a non-string key"};
            const Value* v = find(object.as_map(), key.as_string());
            return v != nullptr ? *v : Value(Undefined{key.as_string()});
        }
        if (object.is_list() || object.is_string()) {
            if (!key.is_int()) fail(line, "a " + std::string(type_name(object)) + " index must be an integer");
            const int64_t n = object.is_list() ? static_cast<int64_t>(object.as_list().size())
                                               : static_cast<int64_t>(characters(object.as_string()).size());
            int64_t i = key.as_int();
            if (i < 0) i += n;
            if (i < 0 || i >= n) return Undefined{"index " + std::to_string(key.as_int()) + " (out of range)"};
            if (object.is_list()) return object.as_list()[static_cast<size_t>(i)];
            return std::string(characters(object.as_string())[static_cast<size_t>(i)]);
        }
        fail(line, "cannot index " + std::string(type_name(object)));
    }

    // Python's slice rules: negative bounds count from the end, bounds are clamped, step != 0.
    Value slice(const Expr& e) {
        const Value object = eval(*e.args[0]);
        auto bound = [&](size_t i) -> std::optional<int64_t> {
            if (e.args[i] == nullptr) return std::nullopt;
            const Value v = eval(*e.args[i]);
            if (v.is_none()) return std::nullopt;
            if (!v.is_int()) fail(e.line, "slice bounds must be integers, not " + std::string(type_name(v)));
            return v.as_int();
        };
        const std::optional<int64_t> start = bound(1), stop = bound(2), step_given = bound(3);
        const int64_t step = step_given.value_or(1);
        if (step == 0) fail(e.line, "a slice step cannot be zero");
        if (object.is_undefined()) undefined_error(object, e.line, "slicing it");
        List items;
        std::vector<std::string_view> chars;
        int64_t n = 0;
        if (object.is_list()) {
            n = static_cast<int64_t>(object.as_list().size());
        } else if (object.is_string()) {
            chars = characters(object.as_string());
            n = static_cast<int64_t>(chars.size());
        } else {
            fail(e.line, "cannot slice " + std::string(type_name(object)));
        }
        auto clamp = [&](std::optional<int64_t> b, int64_t fallback) {
            if (!b) return fallback;
            int64_t v = *b < 0 ? *b + n : *b;
            return step > 0 ? std::clamp<int64_t>(v, 0, n) : std::clamp<int64_t>(v, -1, n - 1);
        };
        const int64_t from = clamp(start, step > 0 ? 0 : n - 1), to = clamp(stop, step > 0 ? n : -1);
        std::string text;
        for (int64_t i = from; step > 0 ? i < to : i > to; i += step) {
            if (object.is_list()) {
                items.push_back(object.as_list()[static_cast<size_t>(i)]);
            } else {
                text += chars[static_cast<size_t>(i)];
            }
        }
        return object.is_list() ? Value(std::move(items)) : Value(std::move(text));
    }

    Value call(const Expr& e) {
        const Expr& callee = *e.args[0];
        if (callee.kind == Expr::Kind::Attr) {
            if (!e.kwargs.empty()) fail(e.line, "method '" + callee.name + "()' takes no keyword arguments");
            const Value object = eval(*callee.args[0]);
            return call_method(object, callee.name, eval_args(e), e.line, size_check(e.line));
        }
        if (callee.kind != Expr::Kind::Name) fail(e.line, "only functions and methods can be called");
        const Args args = eval_args(e);
        if (callee.name == "raise_exception") {
            // The template's own words: they say what is wrong with the conversation.
            throw EngineError(args.size() == 1 && args[0].is_string() ? args[0].as_string()
                                                                      : "the chat template raised an exception");
        }
        if (callee.name == "namespace") {
            if (!args.empty()) fail(e.line, "namespace() takes keyword arguments only");
            Value ns(Map{});
            for (auto& [k, v] : eval_kwargs(e)) ns.mutable_map().emplace_back(k, storable(std::move(v), e.line));
            namespaces_.push_back(std::get<std::shared_ptr<Map>>(ns.v));
            return ns;
        }
        if (callee.name == "range") return range(args, e.line);
        unsupported(e.line, "the function '" + callee.name + "()'");
    }

    Value range(const Args& args, int line) {
        if (args.empty() || args.size() > 3) fail(line, "range() takes 1 to 3 arguments");
        for (const Value& a : args) {
            if (!a.is_int()) fail(line, "range() needs integers, not " + std::string(type_name(a)));
        }
        const int64_t start = args.size() > 1 ? args[0].as_int() : 0;
        const int64_t stop = args.size() > 1 ? args[1].as_int() : args[0].as_int();
        const int64_t step = args.size() > 2 ? args[2].as_int() : 1;
        if (step == 0) fail(line, "range() step cannot be zero");
        // Counted before it is built: range(10**12) must not allocate.
        int64_t span = 0;
        check_overflow(
            step > 0 ? __builtin_sub_overflow(stop, start, &span) : __builtin_sub_overflow(start, stop, &span), line);
        const uint64_t stride = step > 0 ? uint64_t(step) : uint64_t(0) - uint64_t(step);
        const auto length = span <= 0 ? int64_t{0} : static_cast<int64_t>((uint64_t(span) - 1) / stride + 1);
        if (length > limits_.max_iterations) {
            fail(line, "range() of " + std::to_string(length) + " items (more than " +
                           std::to_string(limits_.max_iterations) + ")");
        }
        List out;
        for (int64_t i = 0; i < length; ++i) out.emplace_back(start + i * step);
        return out;
    }

    Value binary(const Expr& e) {
        const std::string& op = e.name;
        const Value a = eval(*e.args[0]);
        if (op == "and") return truthy(a) ? eval(*e.args[1]) : a;
        if (op == "or") return truthy(a) ? a : eval(*e.args[1]);
        const Value b = eval(*e.args[1]);
        if (op == "~") return to_output(a) + to_output(b);
        if (op == "==") return equal(a, b);
        if (op == "!=") return !equal(a, b);
        if (op == "in" || op == "not in") return contains(b, a, e.line) == (op == "in");
        for (const Value* v : {&a, &b}) {
            if (v->is_undefined()) undefined_error(*v, e.line, "used with '" + op + "'");
        }
        if (op == "<" || op == ">" || op == "<=" || op == ">=") return compare(op, a, b, e.line);
        if (op == "+") {
            if (a.is_string() && b.is_string()) return a.as_string() + b.as_string();
            if (a.is_list() && b.is_list()) {
                List l = a.as_list();
                l.insert(l.end(), b.as_list().begin(), b.as_list().end());
                return l;
            }
        }
        if (op == "/") unsupported(e.line, "'/' (it gives a floating-point number; '//' divides integers)");
        if (!a.is_int() || !b.is_int()) {
            fail(e.line,
                 "cannot apply '" + op + "' to " + std::string(type_name(a)) + " and " + std::string(type_name(b)));
        }
        const int64_t x = a.as_int(), y = b.as_int();
        int64_t r = 0;
        if (op == "+" || op == "-" || op == "*") {
            check_overflow(op == "+"   ? __builtin_add_overflow(x, y, &r)
                           : op == "-" ? __builtin_sub_overflow(x, y, &r)
                                       : __builtin_mul_overflow(x, y, &r),
                           e.line);
            return r;
        }
        if (y == 0) fail(e.line, "division by zero");
        if (x == INT64_MIN && y == -1) fail(e.line, "integer overflow");
        // Python floors: -7 // 2 == -4 and -7 % 2 == 1.
        const int64_t q = x / y - ((x % y != 0) && ((x < 0) != (y < 0)) ? 1 : 0);
        return op == "//" ? q : x - q * y;
    }

    static bool compare(const std::string& op, const Value& a, const Value& b, int line) {
        int c = 0;
        if (a.is_int() && b.is_int()) {
            c = a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
        } else if (a.is_string() && b.is_string()) {
            c = a.as_string().compare(b.as_string());
        } else {
            fail(line, "cannot compare " + std::string(type_name(a)) + " and " + std::string(type_name(b)) + " with '" +
                           op + "'");
        }
        if (op == "<") return c < 0;
        if (op == ">") return c > 0;
        if (op == "<=") return c <= 0;
        return c >= 0;
    }

    static bool contains(const Value& container, const Value& item, int line) {
        if (container.is_string()) {
            if (!item.is_string()) fail(line, "'in <string>' needs a string on the left");
            return Searcher(item.as_string()).find(container.as_string()) != std::string::npos;
        }
        if (container.is_list()) {
            return std::any_of(container.as_list().begin(), container.as_list().end(),
                               [&](const Value& v) { return equal(v, item); });
        }
        if (container.is_map()) return item.is_string() && find(container.as_map(), item.as_string()) != nullptr;
        if (container.is_undefined()) undefined_error(container, line, "used with 'in'");
        fail(line, "cannot look for a value in " + std::string(type_name(container)));
    }

    const RenderLimits& limits_;
    std::vector<Map> scopes_;
    // The maps namespace() made: only they take attribute assignments. Held, so that no other map
    // can reuse one's address.
    std::vector<std::shared_ptr<Map>> namespaces_;
    std::string out_;
    int64_t iterations_ = 0;
    size_t work_ = 0;  // bytes of the strings expressions yielded so far, never above max_work_bytes
};

}  // namespace

std::string render(const Body& program, const Map& variables, const RenderLimits& limits) {
    return Renderer(variables, limits).run(program);
}

}  // namespace q8::jinja
