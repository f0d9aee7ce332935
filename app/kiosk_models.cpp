#include "kiosk_models.h"

#include <filesystem>

namespace q8app {

BuiltinModels kiosk_models(const std::string& scaled_demo_path) {
    BuiltinModels models = builtin_models();
    std::error_code ec;
    if (!scaled_demo_path.empty() && std::filesystem::is_regular_file(scaled_demo_path, ec))
        models.target = scaled_demo_path;
    return models;
}

}  // namespace q8app
