#include <q8/error.h>
#include <q8/fim.h>

namespace q8 {

bool has_fim_tokens(const SpecialTokens& s) {
    return s.fim_prefix.id >= 0 && s.fim_suffix.id >= 0 && s.fim_middle.id >= 0;
}

std::string fim_prompt(const SpecialTokens& s, std::string_view prefix, std::string_view suffix) {
    if (!has_fim_tokens(s)) {
        std::string missing;
        for (const auto& [token, name] :
             {std::pair{&s.fim_prefix, "prefix"}, {&s.fim_suffix, "suffix"}, {&s.fim_middle, "middle"}}) {
            if (token->id < 0) missing += std::string(missing.empty() ? "" : ", ") + name;
        }
        throw EngineError("this model has no fill-in-the-middle tokens (" + missing +
                          " missing): it cannot fill in code between a prefix and a suffix");
    }
    return s.fim_prefix.text + std::string(prefix) + s.fim_suffix.text + std::string(suffix) + s.fim_middle.text;
}

}  // namespace q8
