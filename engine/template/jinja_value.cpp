// Truth, equality and printing of template values, as Jinja (that is, Python) defines them.
#include "jinja_value.h"

#include <algorithm>
#include <cstdio>

#include <q8/error.h>

namespace q8::jinja {

namespace {

int container_depth(int deepest_item) {
    if (deepest_item + 1 > kMaxValueDepth) {
        throw EngineError("chat template: a list or map nests deeper than " + std::to_string(kMaxValueDepth) +
                          " levels");
    }
    return deepest_item + 1;
}

}  // namespace

Value::Value(List l) {
    int deepest = 0;
    for (const Value& item : l) deepest = std::max(deepest, item.depth);
    depth = container_depth(deepest);
    v = std::make_shared<List>(std::move(l));
}

Value::Value(Map m) {
    int deepest = 0;
    for (const auto& [_, item] : m) deepest = std::max(deepest, item.depth);
    depth = container_depth(deepest);
    v = std::make_shared<Map>(std::move(m));
}

std::string_view type_name(const Value& v) {
    static constexpr std::string_view kNames[] = {"undefined", "none", "boolean", "integer", "string", "list", "map"};
    return kNames[v.v.index()];
}

bool truthy(const Value& v) {
    if (v.is_bool()) return std::get<bool>(v.v);
    if (v.is_int()) return v.as_int() != 0;
    if (v.is_string()) return !v.as_string().empty();
    if (v.is_list()) return !v.as_list().empty();
    if (v.is_map()) return !v.as_map().empty();
    return false;  // undefined, none
}

bool equal(const Value& a, const Value& b) {
    // Python: True == 1; an undefined equals nothing but another undefined.
    if ((a.is_bool() || a.is_int()) && (b.is_bool() || b.is_int())) {
        const int64_t x = a.is_bool() ? std::get<bool>(a.v) : a.as_int();
        const int64_t y = b.is_bool() ? std::get<bool>(b.v) : b.as_int();
        return x == y;
    }
    if (a.v.index() != b.v.index()) return false;
    if (a.is_string()) return a.as_string() == b.as_string();
    if (a.is_list()) {
        const List &x = a.as_list(), &y = b.as_list();
        if (x.size() != y.size()) return false;
        for (size_t i = 0; i < x.size(); ++i) {
            if (!equal(x[i], y[i])) return false;
        }
        return true;
    }
    if (a.is_map()) {
        const Map &x = a.as_map(), &y = b.as_map();
        if (x.size() != y.size()) return false;
        for (const auto& [k, val] : x) {
            const Value* other = find(y, k);
            if (other == nullptr || !equal(val, *other)) return false;
        }
        return true;
    }
    return true;  // both undefined or both none
}

const Value* find(const Map& m, std::string_view key) {
    for (const auto& [k, v] : m) {
        if (k == key) return &v;
    }
    return nullptr;
}

namespace {

std::string python_repr(const Value& v);

std::string quoted_repr(const std::string& s) {
    const char q = s.find('\'') != std::string::npos && s.find('"') == std::string::npos ? '"' : '\'';
    std::string out(1, q);
    for (char c : s) {
        if (c == q || c == '\\') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out + q;
}

std::string python_repr(const Value& v) {
    if (v.is_string()) return quoted_repr(v.as_string());
    if (v.is_list()) {
        std::string out = "[";
        for (size_t i = 0; i < v.as_list().size(); ++i) out += (i ? ", " : "") + python_repr(v.as_list()[i]);
        return out + "]";
    }
    if (v.is_map()) {
        std::string out = "{";
        bool first = true;
        for (const auto& [k, val] : v.as_map()) {
            out += (first ? "" : ", ") + quoted_repr(k) + ": " + python_repr(val);
            first = false;
        }
        return out + "}";
    }
    return to_output(v);
}

std::string json_string(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += static_cast<char>(c);
            }
        }
    }
    return out + "\"";
}

void append_json(std::string& out, const Value& v, int indent, int depth) {
    const auto newline = [&](int d) {
        if (indent <= 0) return;
        out += '\n';
        out.append(static_cast<size_t>(indent * d), ' ');
    };
    const char* separator = indent > 0 ? "," : ", ";
    if (v.is_list()) {
        const List& l = v.as_list();
        if (l.empty()) {
            out += "[]";
            return;
        }
        out += "[";
        for (size_t i = 0; i < l.size(); ++i) {
            if (i) out += separator;
            newline(depth + 1);
            append_json(out, l[i], indent, depth + 1);
        }
        newline(depth);
        out += "]";
    } else if (v.is_map()) {
        const Map& m = v.as_map();
        if (m.empty()) {
            out += "{}";
            return;
        }
        out += "{";
        bool first = true;
        for (const auto& [k, val] : m) {
            if (!first) out += separator;
            first = false;
            newline(depth + 1);
            out += json_string(k) + ": ";
            append_json(out, val, indent, depth + 1);
        }
        newline(depth);
        out += "}";
    } else if (v.is_string()) {
        out += json_string(v.as_string());
    } else if (v.is_bool()) {
        out += std::get<bool>(v.v) ? "true" : "false";
    } else if (v.is_int()) {
        out += std::to_string(v.as_int());
    } else {
        out += "null";  // none (undefined is refused before it gets here)
    }
}

}  // namespace

std::string to_output(const Value& v) {
    if (v.is_undefined()) return {};
    if (v.is_none()) return "None";
    if (v.is_bool()) return std::get<bool>(v.v) ? "True" : "False";
    if (v.is_int()) return std::to_string(v.as_int());
    if (v.is_string()) return v.as_string();
    return python_repr(v);
}

std::string to_json(const Value& v, int indent) {
    std::string out;
    append_json(out, v, indent, 0);
    return out;
}

}  // namespace q8::jinja
