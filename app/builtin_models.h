#pragma once
// The built-in data files: the demo model pair the project trains and ships (resources/models), so
// the app and q8bench work with no download, and the prompts of the app's kiosk demo
// (resources/kiosk-prompts.json). Looked up in order: $Q8CHAT_MODEL_DIR (models only), the install
// tree (<prefix>/share/q8chat next to <prefix>/bin, found from the running executable), and the
// source tree it was built from.
#include <string>

namespace q8app {

struct BuiltinModels {
    std::string target;  // demo-target.gguf
    std::string draft;   // demo-draft.gguf, its speculative draft
};

// Throws q8::EngineError listing the places searched when the pair is not installed.
BuiltinModels builtin_models();

// The kiosk's prompts file; throws q8::EngineError listing the places searched when it is missing.
std::string kiosk_prompts_file();

}  // namespace q8app
