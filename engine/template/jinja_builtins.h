#pragma once
// The filters, tests, methods and global functions chat templates call. Each refuses a name it
// does not know with "chat template line N: the filter 'x' is not supported ..." and wrong
// arguments with a message naming the call.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jinja_value.h"

namespace q8::jinja {

using Args = std::vector<Value>;
using Kwargs = std::vector<std::pair<std::string, Value>>;

// Called with the size of a result about to be built; each throws if the renderer would refuse the
// result anyway. `bytes`: the length of the string replace() or join() builds, known before the
// string is (one replace() of a 16 MiB string could otherwise allocate terabytes before any cap saw
// it). `items`: the count of a list split() is growing, checked as it grows (split() on a one-byte
// separator turns 64 MiB into 64 million strings, some 2 GiB, before the list cap would see it).
struct SizeCheck {
    std::function<void(size_t bytes)> bytes;
    std::function<void(size_t items)> items;
};

Value apply_filter(std::string_view name, const Value& input, const Args& args, const Kwargs& kwargs, int line,
                   const SizeCheck& check_size);
bool apply_test(std::string_view name, const Value& input, const Args& args, int line);
Value call_method(const Value& object, std::string_view name, const Args& args, int line, const SizeCheck& check_size);

// Substring search in time linear in the text and the pattern (Knuth-Morris-Pratt), for `in`,
// split() and replace(). std::string::find tries the pattern at each position: 4 MiB of 'a' then
// a 'b', looked for in 8 MiB of 'a' (both easy to build in a template), is 10^13 comparisons.
class Searcher {
public:
    explicit Searcher(std::string_view pattern);
    // The first occurrence at or after `from`, or std::string_view::npos.
    size_t find(std::string_view text, size_t from = 0) const;

private:
    std::string_view pattern_;
    std::vector<size_t> border_;  // border_[k]: the longest proper border of the pattern's first k bytes
};

// Strings as Python sees them: a sequence of characters (ill-formed UTF-8 bytes count one each).
std::vector<std::string_view> characters(std::string_view s);

}  // namespace q8::jinja
