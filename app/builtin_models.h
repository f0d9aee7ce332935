#pragma once
// Where the built-in demo model pair lives: the project trains and ships it (resources/models), so
// the app and q8bench work with no download. Looked up in order: $Q8CHAT_MODEL_DIR, the install
// tree (<prefix>/share/q8chat/models next to <prefix>/bin), and the source tree it was built from.
#include <string>

namespace q8app {

struct BuiltinModels {
    std::string target;  // demo-target.gguf
    std::string draft;   // demo-draft.gguf, its speculative draft
};

// Throws q8::EngineError listing the places searched when the pair is not installed.
BuiltinModels builtin_models();

}  // namespace q8app
