#pragma once
// The filters, tests, methods and global functions chat templates call. Each refuses a name it
// does not know with "chat template line N: the filter 'x' is not supported ..." and wrong
// arguments with a message naming the call.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jinja_value.h"

namespace q8::jinja {

using Args = std::vector<Value>;
using Kwargs = std::vector<std::pair<std::string, Value>>;

Value apply_filter(std::string_view name, const Value& input, const Args& args, const Kwargs& kwargs, int line);
bool apply_test(std::string_view name, const Value& input, const Args& args, int line);
Value call_method(const Value& object, std::string_view name, const Args& args, int line);

// Strings as Python sees them: a sequence of characters (ill-formed UTF-8 bytes count one each).
std::vector<std::string_view> characters(std::string_view s);

}  // namespace q8::jinja
