#pragma once
// The model pair the kiosk (q8chat --kiosk) demonstrates. Chosen here and nowhere else.
#include <string>

#include "builtin_models.h"

namespace q8app {

// The scaled demo (docs/scaled-demo.md) with the built-in draft when it has been built at
// `scaled_demo_path`, since its weights stream from memory like a real model's and show what Q4
// and speculation buy; else the built-in pair. Throws q8::EngineError when no pair is installed.
BuiltinModels kiosk_models(const std::string& scaled_demo_path);

}  // namespace q8app
