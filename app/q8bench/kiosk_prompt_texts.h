#pragma once
// The kiosk's attract-loop prompts (resources/kiosk-prompts.json, format "q8chat.kiosk-prompts"
// version 1) for q8bench, which has no Qt: the window reads the same file with ui/kiosk_prompts.
#include <string>
#include <vector>

namespace q8bench {

struct KioskPromptText {
    std::string title;
    std::string text;
};

// The prompts in file order. Throws q8::EngineError naming the file (and the prompt's position)
// when it is unreadable, of another format or version, empty, or has a prompt without a text.
std::vector<KioskPromptText> read_kiosk_prompts(const std::string& path);

}  // namespace q8bench
