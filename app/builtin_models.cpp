#include "builtin_models.h"

#include <cstdlib>
#include <filesystem>
#include <vector>

#include <q8/error.h>

namespace q8app {

namespace fs = std::filesystem;

namespace {

// Where the installed or source-tree data lives: <prefix>/share/q8chat, then resources/.
std::vector<fs::path> data_dirs() {
    std::vector<fs::path> dirs;
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) dirs.push_back(exe.parent_path().parent_path() / "share" / "q8chat");
    dirs.emplace_back(Q8_SOURCE_RESOURCE_DIR);
    return dirs;
}

std::string joined(const std::vector<fs::path>& dirs) {
    std::string out;
    for (const fs::path& d : dirs) out += (out.empty() ? "" : ", ") + d.string();
    return out;
}

}  // namespace

BuiltinModels builtin_models() {
    std::vector<fs::path> dirs;
    if (const char* env = std::getenv("Q8CHAT_MODEL_DIR"); env != nullptr && *env != 0) dirs.emplace_back(env);
    for (const fs::path& d : data_dirs()) dirs.push_back(d / "models");
    for (const fs::path& dir : dirs) {
        const fs::path target = dir / "demo-target.gguf";
        const fs::path draft = dir / "demo-draft.gguf";
        if (fs::is_regular_file(target) && fs::is_regular_file(draft)) return {target.string(), draft.string()};
    }
    throw q8::EngineError("the built-in demo models are not installed (looked in " + joined(dirs) +
                          "); name a model with -m");
}

std::string kiosk_prompts_file() {
    const std::vector<fs::path> dirs = data_dirs();
    for (const fs::path& dir : dirs) {
        const fs::path file = dir / "kiosk-prompts.json";
        if (fs::is_regular_file(file)) return file.string();
    }
    throw q8::EngineError("the kiosk's prompts (kiosk-prompts.json) are not installed (looked in " + joined(dirs) +
                          ")");
}

}  // namespace q8app
