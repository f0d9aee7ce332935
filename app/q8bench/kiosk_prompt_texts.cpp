#include "kiosk_prompt_texts.h"

#include <fstream>
#include <nlohmann/json.hpp>

#include <q8/error.h>

namespace q8bench {

std::vector<KioskPromptText> read_kiosk_prompts(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw q8::EngineError(path + ": cannot be opened");
    const nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || doc.value("format", "") != "q8chat.kiosk-prompts" || doc.value("version", 0) != 1)
        throw q8::EngineError(path + ": not a q8chat.kiosk-prompts file of version 1");
    std::vector<KioskPromptText> prompts;
    const nlohmann::json list = doc.value("prompts", nlohmann::json::array());
    for (size_t i = 0; i < list.size(); ++i) {
        const nlohmann::json& p = list[i];
        if (!p.is_object() || !p.value("text", nlohmann::json()).is_string() || p["text"].get<std::string>().empty())
            throw q8::EngineError(path + ": prompt " + std::to_string(i + 1) + " has no text");
        prompts.push_back({p.value("title", ""), p["text"].get<std::string>()});
    }
    if (prompts.empty()) throw q8::EngineError(path + ": no prompts");
    return prompts;
}

}  // namespace q8bench
