// Filters, tests and methods, each with Python's (or Jinja's) meaning for the values templates
// pass them.
#include "jinja_builtins.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "jinja_errors.h"
#include "utf8.h"

namespace q8::jinja {

namespace {

constexpr std::string_view kWhitespace = " \t\n\r\f\v";

void need_args(std::string_view what, const Args& args, size_t min, size_t max, int line) {
    if (args.size() < min || args.size() > max) {
        const std::string range = min == max ? std::to_string(min) : std::to_string(min) + " to " + std::to_string(max);
        fail(line, std::string(what) + " takes " + range + " argument(s), not " + std::to_string(args.size()));
    }
}

const std::string& need_string(std::string_view what, const Value& v, int line) {
    if (!v.is_string()) fail(line, std::string(what) + " needs a string, not " + std::string(type_name(v)));
    return v.as_string();
}

int64_t need_int(std::string_view what, const Value& v, int line) {
    if (!v.is_int()) fail(line, std::string(what) + " needs an integer, not " + std::string(type_name(v)));
    return v.as_int();
}

const Value* kwarg(const Kwargs& kwargs, std::string_view key) {
    for (const auto& [k, v] : kwargs) {
        if (k == key) return &v;
    }
    return nullptr;
}

std::string strip(std::string_view s, std::string_view chars, bool left, bool right) {
    size_t b = 0, e = s.size();
    if (left) b = std::min(s.find_first_not_of(chars), s.size());
    if (right) {
        const size_t last = s.find_last_not_of(chars);
        e = last == std::string_view::npos ? b : last + 1;
    }
    return std::string(s.substr(b, std::max(b, e) - b));
}

std::string ascii_map(std::string s, int (*f)(int)) {
    for (char& c : s) c = static_cast<char>(f(static_cast<unsigned char>(c)));
    return s;
}
int to_upper(int c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }
int to_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

std::string capitalize(const std::string& s) {
    std::string out = ascii_map(s, to_lower);
    if (!out.empty()) out[0] = static_cast<char>(to_upper(static_cast<unsigned char>(out[0])));
    return out;
}

std::string title(const std::string& s) {
    std::string out = s;
    bool word_start = true;
    for (char& c : out) {
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        c = static_cast<char>(letter && word_start ? to_upper(c) : to_lower(c));
        word_start = !letter;
    }
    return out;
}

std::string replace(const std::string& s, const std::string& from, const std::string& to, int64_t count,
                    const SizeCheck& check_size) {
    if (from.empty()) return s;  // Python would insert between characters; no template does that
    const Searcher searcher(from);
    size_t matches = 0;
    for (size_t at = searcher.find(s); at != std::string::npos && (count < 0 || static_cast<int64_t>(matches) < count);
         at = searcher.find(s, at + from.size())) {
        ++matches;
    }
    size_t added = 0, size = 0;
    const bool overflow = __builtin_mul_overflow(matches, to.size(), &added) ||
                          __builtin_add_overflow(s.size() - matches * from.size(), added, &size);
    check_size.bytes(overflow ? SIZE_MAX : size);
    std::string out;
    out.reserve(size);
    size_t pos = 0;
    for (size_t n = 0; n < matches; ++n) {
        const size_t at = searcher.find(s, pos);
        out.append(s, pos, at - pos);
        out += to;
        pos = at + from.size();
    }
    return out.append(s, pos);
}

Value split(const std::string& s, const Value* sep, int64_t max_split, int line, const SizeCheck& check_size) {
    List parts;
    if (sep == nullptr || sep->is_none()) {  // runs of whitespace, none at the ends
        size_t i = s.find_first_not_of(kWhitespace);
        while (i != std::string::npos) {
            check_size.items(parts.size() + 1);
            if (max_split >= 0 && static_cast<int64_t>(parts.size()) == max_split) {
                parts.emplace_back(strip(s.substr(i), kWhitespace, false, true));
                break;
            }
            const size_t end = std::min(s.find_first_of(kWhitespace, i), s.size());
            parts.emplace_back(s.substr(i, end - i));
            i = s.find_first_not_of(kWhitespace, end);
        }
        return parts;
    }
    const std::string& d = need_string("split()", *sep, line);
    if (d.empty()) fail(line, "split() with an empty separator");
    const Searcher searcher(d);
    size_t pos = 0;
    while (max_split < 0 || static_cast<int64_t>(parts.size()) < max_split) {
        const size_t at = searcher.find(s, pos);
        if (at == std::string::npos) break;
        check_size.items(parts.size() + 2);  // this part and the last
        parts.emplace_back(s.substr(pos, at - pos));
        pos = at + d.size();
    }
    parts.emplace_back(s.substr(pos));
    return parts;
}

int64_t length(const Value& v, std::string_view what, int line) {
    if (v.is_string()) return static_cast<int64_t>(characters(v.as_string()).size());
    if (v.is_list()) return static_cast<int64_t>(v.as_list().size());
    if (v.is_map()) return static_cast<int64_t>(v.as_map().size());
    fail(line, std::string(what) + " of " + std::string(type_name(v)));
}

List as_items(const Value& v, std::string_view what, int line) {
    if (v.is_list()) return v.as_list();
    if (v.is_string()) {
        List l;
        for (std::string_view c : characters(v.as_string())) l.emplace_back(std::string(c));
        return l;
    }
    if (v.is_map()) {
        List l;
        for (const auto& [k, _] : v.as_map()) l.emplace_back(k);
        return l;
    }
    fail(line, std::string(what) + " needs a list, string or map, not " + std::string(type_name(v)));
}

}  // namespace

Searcher::Searcher(std::string_view pattern) : pattern_(pattern), border_(pattern.size() + 1) {
    for (size_t i = 1, k = 0; i < pattern.size(); ++i) {
        while (k > 0 && pattern[i] != pattern[k]) k = border_[k];
        if (pattern[i] == pattern[k]) ++k;
        border_[i + 1] = k;
    }
}

// Each step either advances in the text or shortens the partial match by at least one, and the
// match grows by at most one per byte of text: at most 2 * text.size() comparisons.
size_t Searcher::find(std::string_view text, size_t from) const {
    if (pattern_.empty()) return from <= text.size() ? from : std::string_view::npos;
    size_t k = 0;  // bytes of the pattern matched so far
    for (size_t i = from; i < text.size(); ++i) {
        while (k > 0 && text[i] != pattern_[k]) k = border_[k];
        if (text[i] == pattern_[k] && ++k == pattern_.size()) return i + 1 - k;
    }
    return std::string_view::npos;
}

std::vector<std::string_view> characters(std::string_view s) {
    std::vector<std::string_view> out;
    for (size_t i = 0; i < s.size();) {
        const size_t n = std::max<size_t>(utf8::char_len(s, i), 1);
        out.push_back(s.substr(i, n));
        i += n;
    }
    return out;
}

Value apply_filter(std::string_view name, const Value& input, const Args& args, const Kwargs& kwargs, int line,
                   const SizeCheck& check_size) {
    const std::string what = "the filter '" + std::string(name) + "'";
    if (name == "default" || name == "d") {
        need_args(what, args, 0, 2, line);
        const Value* boolean = kwarg(kwargs, "boolean");
        const bool use_truth = (args.size() > 1 && truthy(args[1])) || (boolean != nullptr && truthy(*boolean));
        const bool missing = input.is_undefined() || (use_truth && !truthy(input));
        return missing ? (args.empty() ? Value(std::string()) : args[0]) : input;
    }
    if (input.is_undefined()) {
        fail(line, "'" + std::get<Undefined>(input.v).name + "' is undefined (passed to " + what + ")");
    }
    if (name == "tojson") {
        need_args(what, args, 0, 1, line);
        const Value* indent = args.empty() ? kwarg(kwargs, "indent") : &args[0];
        const int64_t spaces = indent != nullptr && indent->is_int() ? indent->as_int() : 0;
        if (spaces > 64) fail(line, what + " with an indent of more than 64 spaces");  // a memory bomb otherwise
        return to_json(input, static_cast<int>(spaces));
    }
    if (name == "length" || name == "count") return length(input, what, line);
    if (name == "string") return to_output(input);
    if (name == "safe") return input;
    if (name == "list") return as_items(input, what, line);
    if (name == "first" || name == "last") {
        const List items = as_items(input, what, line);
        if (items.empty()) return Undefined{"the " + std::string(name) + " item of an empty sequence"};
        return name == "first" ? items.front() : items.back();
    }
    if (name == "join") {
        need_args(what, args, 0, 1, line);
        const std::string sep = args.empty() ? std::string() : need_string(what, args[0], line);
        const List items = as_items(input, what, line);
        std::vector<std::string> parts;
        size_t size = 0;
        for (const Value& item : items) {
            std::string part = to_output(item);
            const bool overflow = __builtin_add_overflow(size, part.size(), &size) ||
                                  (!parts.empty() && __builtin_add_overflow(size, sep.size(), &size));
            check_size.bytes(overflow ? SIZE_MAX : size);  // as it grows: the parts alone may be too much
            parts.push_back(std::move(part));
        }
        std::string out;
        out.reserve(size);
        for (size_t i = 0; i < parts.size(); ++i) (i ? out.append(sep) : out).append(parts[i]);
        return out;
    }
    if (name == "int") {
        if (input.is_int()) return input;
        if (input.is_bool()) return int64_t{std::get<bool>(input.v)};
        int64_t v = 0;
        const std::string s = input.is_string() ? strip(input.as_string(), kWhitespace, true, true) : "";
        const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
        return r.ec == std::errc{} && r.ptr == s.data() + s.size() ? v : 0;
    }
    if (name == "items") {
        if (!input.is_map()) fail(line, what + " needs a map, not " + std::string(type_name(input)));
        return call_method(input, "items", {}, line, check_size);
    }
    if (name == "trim" || name == "upper" || name == "lower" || name == "capitalize" || name == "title" ||
        name == "replace") {
        const std::string& s = need_string(what, input, line);
        if (name == "trim") {
            need_args(what, args, 0, 1, line);
            return strip(s, args.empty() ? kWhitespace : need_string(what, args[0], line), true, true);
        }
        if (name == "replace") {
            need_args(what, args, 2, 3, line);
            return replace(s, need_string(what, args[0], line), need_string(what, args[1], line),
                           args.size() > 2 ? need_int(what, args[2], line) : -1, check_size);
        }
        need_args(what, args, 0, 0, line);
        if (name == "upper") return ascii_map(s, to_upper);
        if (name == "lower") return ascii_map(s, to_lower);
        return name == "title" ? title(s) : capitalize(s);
    }
    unsupported(line, what);
}

bool apply_test(std::string_view name, const Value& input, const Args& args, int line) {
    const std::string what = "the test 'is " + std::string(name) + "'";
    const size_t n_args = name == "eq" || name == "equalto" || name == "sameas" || name == "divisibleby" ? 1 : 0;
    need_args(what, args, n_args, n_args, line);
    if (name == "defined") return !input.is_undefined();
    if (name == "undefined") return input.is_undefined();
    if (name == "none") return input.is_none();
    if (name == "string") return input.is_string();
    if (name == "number" || name == "integer") return input.is_int();
    if (name == "boolean") return input.is_bool();
    if (name == "mapping") return input.is_map();
    if (name == "sequence" || name == "iterable") return input.is_list() || input.is_string() || input.is_map();
    if (name == "true") return input.is_bool() && std::get<bool>(input.v);
    if (name == "false") return input.is_bool() && !std::get<bool>(input.v);
    if (name == "eq" || name == "equalto") return equal(input, args[0]);
    if (name == "sameas") return input.v.index() == args[0].v.index() && equal(input, args[0]);
    if (name == "even" || name == "odd") return need_int(what, input, line) % 2 == (name == "odd" ? 1 : 0);
    if (name == "divisibleby") {
        const int64_t d = need_int(what, args[0], line);
        if (d == 0) fail(line, what + " by zero");
        return need_int(what, input, line) % d == 0;
    }
    unsupported(line, what);
}

Value call_method(const Value& object, std::string_view name, const Args& args, int line, const SizeCheck& check_size) {
    const std::string what = "the method '" + std::string(name) + "()' of a " + std::string(type_name(object));
    if (object.is_string()) {
        const std::string& s = object.as_string();
        if (name == "strip" || name == "lstrip" || name == "rstrip") {
            need_args(what, args, 0, 1, line);
            const std::string_view chars =
                args.empty() || args[0].is_none() ? kWhitespace : std::string_view(need_string(what, args[0], line));
            return strip(s, chars, name != "rstrip", name != "lstrip");
        }
        if (name == "startswith" || name == "endswith") {
            need_args(what, args, 1, 1, line);
            const std::string& affix = need_string(what, args[0], line);
            return name == "startswith" ? s.starts_with(affix) : s.ends_with(affix);
        }
        if (name == "split") {
            need_args(what, args, 0, 2, line);
            return split(s, args.empty() ? nullptr : &args[0], args.size() > 1 ? need_int(what, args[1], line) : -1,
                         line, check_size);
        }
        if (name == "replace") return apply_filter("replace", object, args, {}, line, check_size);
        if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
            return apply_filter(name, object, args, {}, line, check_size);
        }
    }
    if (object.is_map()) {
        const Map& m = object.as_map();
        if (name == "items" || name == "keys" || name == "values") {
            need_args(what, args, 0, 0, line);
            List out;
            for (const auto& [k, v] : m) {
                if (name == "items") out.emplace_back(List{Value(k), v});
                if (name == "keys") out.emplace_back(k);
                if (name == "values") out.push_back(v);
            }
            return out;
        }
        if (name == "get") {
            need_args(what, args, 1, 2, line);
            const Value* v = args[0].is_string() ? find(m, args[0].as_string()) : nullptr;
            return v != nullptr ? *v : (args.size() > 1 ? args[1] : Value(nullptr));
        }
    }
    if (object.is_undefined()) fail(line, "'" + std::get<Undefined>(object.v).name + "' is undefined");
    unsupported(line, what);
}

}  // namespace q8::jinja
