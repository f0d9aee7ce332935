#include "builtin_models.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include <q8/error.h>

namespace q8app {

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> candidate_dirs() {
    std::vector<fs::path> dirs;
    if (const char* env = std::getenv("Q8CHAT_MODEL_DIR"); env != nullptr && *env != 0) dirs.emplace_back(env);
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) dirs.push_back(exe.parent_path().parent_path() / "share" / "q8chat" / "models");
    dirs.emplace_back(Q8_SOURCE_MODEL_DIR);
    return dirs;
}

}  // namespace

BuiltinModels builtin_models() {
    std::string searched;
    for (const fs::path& dir : candidate_dirs()) {
        const fs::path target = dir / "demo-target.gguf";
        const fs::path draft = dir / "demo-draft.gguf";
        if (fs::is_regular_file(target) && fs::is_regular_file(draft)) return {target.string(), draft.string()};
        searched += (searched.empty() ? "" : ", ") + dir.string();
    }
    throw q8::EngineError("the built-in demo models are not installed (looked in " + searched +
                          "); name a model with -m");
}

}  // namespace q8app
