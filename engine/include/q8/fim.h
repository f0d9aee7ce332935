#pragma once
// Fill-in-the-middle for code models that declare FIM tokens: the code before and after a gap
// becomes one prompt, and what the model generates is the code that fills the gap.
#include <string>
#include <string_view>

#include "models.h"

namespace q8 {

// Whether the vocabulary has prefix, suffix and middle tokens.
bool has_fim_tokens(const SpecialTokens& special);

// "<prefix token>PREFIX<suffix token>SUFFIX<middle token>" (prefix-suffix-middle order, which
// StarCoder, Qwen2.5-Coder and CodeGemma were trained on). Throws EngineError naming the tokens the
// model lacks.
std::string fim_prompt(const SpecialTokens& special, std::string_view prefix, std::string_view suffix);

}  // namespace q8
