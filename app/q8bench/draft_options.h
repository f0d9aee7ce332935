#pragma once
// Where a speculative configuration's draft comes from, shared by `generate` and `bench`: a separate
// GGUF with the same vocabulary, a Q4 copy of the target, or the target's first N layers.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "model.h"
#include "quant_options.h"

namespace q8bench {

struct DraftCliOptions {
    std::string file;
    std::string self;  // "q4" or "layers:N"
    int k = 8;
    std::string policy = "speed";  // how k adapts: "speed" or "acceptance" (draft_length.h)
    bool no_lookup = false;        // the draft model alone, no drafts looked up in the text

    void add_to(CLI::App* cmd);
    bool given() const { return !file.empty() || !self.empty(); }
};

struct Draft {
    std::shared_ptr<const q8::Model> model;
    int64_t layers = 0;  // 0: all of the draft model's layers
    std::string description;
};

// With no model named, the built-in demo target; a speculative run on it with no draft named uses
// the built-in demo draft. Throws EngineError when a built-in is needed but not installed.
void use_builtin_when_unnamed(std::string& model, DraftCliOptions& draft, bool speculative);

// Throws EngineError with the fix when the options do not name a usable draft.
Draft load_draft(const DraftCliOptions& o, const std::string& target_path,
                 const std::shared_ptr<const q8::Model>& target, const QuantCliOptions& quant);

}  // namespace q8bench
