#include "kiosk_models.h"

namespace q8app {

BuiltinModels kiosk_models() { return builtin_models(); }

}  // namespace q8app
