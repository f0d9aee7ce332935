#pragma once
// The model pair the kiosk (q8chat --kiosk) demonstrates. Chosen here and nowhere else, so a
// larger demo target can be preferred later by changing this one function.
#include "builtin_models.h"

namespace q8app {

// Throws q8::EngineError when no pair is installed.
BuiltinModels kiosk_models();

}  // namespace q8app
