#pragma once
// Splits a template into text and the tokens inside its {{ }} and {% %} tags, dropping {# #}
// comments and applying whitespace control as Hugging Face renders chat templates: "-" strips
// the whitespace on its side, and (trim_blocks, lstrip_blocks) a statement or comment tag takes
// the newline after it and the indentation before it.
#include <string_view>
#include <vector>

#include "jinja_syntax.h"

namespace q8::jinja {

// Throws EngineError ("template line N: ...") for an unclosed tag, comment or string, or a
// character no expression uses.
std::vector<Token> lex(std::string_view source);

}  // namespace q8::jinja
