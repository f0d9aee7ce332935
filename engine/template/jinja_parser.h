#pragma once
// Tokens into the template's tree. The grammar is the subset of Jinja that chat templates use
// (docs/chat-templates.md lists it); every other statement, operator or form is refused by name.
#include <string_view>

#include "jinja_syntax.h"

namespace q8::jinja {

// Throws EngineError "chat template line N: ..." for a syntax error, an unsupported construct
// (naming it), or nesting deeper than the renderer allows.
Body parse(std::string_view source);

}  // namespace q8::jinja
