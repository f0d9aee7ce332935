#pragma once
// The two ways a template is refused, worded alike wherever they are raised: a construct this
// renderer does not implement, and a template that is wrong or fails while rendering.
#include <string>
#include <string_view>

namespace q8::jinja {

// EngineError "chat template line N: <what> is not supported".
[[noreturn]] void unsupported(int line, std::string_view what);
// EngineError "chat template line N: <message>".
[[noreturn]] void fail(int line, std::string_view message);

}  // namespace q8::jinja
