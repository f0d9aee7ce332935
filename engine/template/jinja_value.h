#pragma once
// The values a chat template computes with: undefined, none, booleans, integers, strings, lists
// and maps (insertion-ordered, as the JSON messages they come from). Lists and maps are shared,
// not copied, when a value is passed around; only a namespace() map is ever changed in place.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace q8::jinja {

struct Value;
using List = std::vector<Value>;
using Map = std::vector<std::pair<std::string, Value>>;  // few keys: a linear search is cheapest

struct Undefined {
    std::string name;  // what was looked up, for the error when it is used
};

// Lists built in a loop ({% set ns.x = [ns.x] %}) could nest without bound, and everything that
// walks a value (printing, comparing, serialising, destroying) recurses: a list or map nested more
// than this deep is refused when it is made.
inline constexpr int kMaxValueDepth = 128;

struct Value {
    std::variant<Undefined, std::monostate, bool, int64_t, std::string, std::shared_ptr<List>, std::shared_ptr<Map>> v;
    int depth = 0;  // lists and maps: 1 + their deepest item's depth

    Value() = default;
    Value(Undefined u) : v(std::move(u)) {}
    Value(std::nullptr_t) : v(std::monostate{}) {}
    Value(bool b) : v(b) {}
    Value(int64_t i) : v(i) {}
    Value(int i) : v(int64_t{i}) {}
    Value(std::string s) : v(std::move(s)) {}
    Value(const char* s) : v(std::string(s)) {}
    // Throw EngineError for a list or map nested deeper than kMaxValueDepth.
    Value(List l);
    Value(Map m);

    bool is_undefined() const { return std::holds_alternative<Undefined>(v); }
    bool is_none() const { return std::holds_alternative<std::monostate>(v); }
    bool is_bool() const { return std::holds_alternative<bool>(v); }
    bool is_int() const { return std::holds_alternative<int64_t>(v); }
    bool is_string() const { return std::holds_alternative<std::string>(v); }
    bool is_list() const { return std::holds_alternative<std::shared_ptr<List>>(v); }
    bool is_map() const { return std::holds_alternative<std::shared_ptr<Map>>(v); }

    int64_t as_int() const { return std::get<int64_t>(v); }
    const std::string& as_string() const { return std::get<std::string>(v); }
    const List& as_list() const { return *std::get<std::shared_ptr<List>>(v); }
    const Map& as_map() const { return *std::get<std::shared_ptr<Map>>(v); }
    // namespace() maps only. Their values are checked as they are set, and a namespace is never
    // stored inside a list, map or namespace, so the depth stays bounded.
    Map& mutable_map() { return *std::get<std::shared_ptr<Map>>(v); }
};

// Python's names for the kinds, for error messages: "undefined", "none", "string", ...
std::string_view type_name(const Value& v);
bool truthy(const Value& v);
bool equal(const Value& a, const Value& b);
// The key's value, or nullptr when the map has no such key.
const Value* find(const Map& m, std::string_view key);
// How {{ }} prints a value: undefined and none as "" and "None" as Jinja does, booleans as
// Python's True/False, lists and maps in Python's repr.
std::string to_output(const Value& v);
// JSON as Python's json.dumps writes it (", " and ": " separators, non-ASCII kept as is);
// `indent` > 0 puts each item on its own line.
std::string to_json(const Value& v, int indent = 0);

}  // namespace q8::jinja
