#include "draft_options.h"

#include <q8/error.h>

#include "builtin_models.h"

namespace q8bench {

void DraftCliOptions::add_to(CLI::App* cmd) {
    cmd->add_option("--draft", file, "Draft GGUF for speculative decoding (same vocabulary)");
    cmd->add_option("--draft-self", self, "Self-draft: q4 (a Q4 copy of the target) or layers:N (its first N layers)");
    cmd->add_option("--draft-k", k, "Most tokens drafted per step")->capture_default_str();
    cmd->add_option("--draft-policy", policy,
                    "How k adapts: speed (measured tokens/s; pauses speculation when it does not pay) or acceptance "
                    "(acceptance alone: reproducible)")
        ->check(CLI::IsMember({"speed", "acceptance"}))
        ->capture_default_str();
    cmd->add_flag("--no-lookup", no_lookup,
                  "Draft with the draft model only, never with what followed the last tokens earlier in the text");
}

void use_builtin_when_unnamed(std::string& model, DraftCliOptions& draft, bool speculative) {
    if (!model.empty()) return;
    const q8app::BuiltinModels builtin = q8app::builtin_models();
    model = builtin.target;
    if (speculative && !draft.given()) draft.file = builtin.draft;
}

Draft load_draft(const DraftCliOptions& o, const std::string& target_path,
                 const std::shared_ptr<const q8::Model>& target, const QuantCliOptions& quant) {
    Draft d;
    if (!o.file.empty()) {
        d.model = q8::load_model(o.file);
        d.description = o.file;
    } else if (o.self.rfind("layers:", 0) == 0) {
        d.model = target;
        try {
            d.layers = std::stoll(o.self.substr(7));
        } catch (const std::exception&) {
            d.layers = 0;
        }
        if (d.layers < 1 || d.layers >= target->config.n_layer) {
            throw q8::EngineError("--draft-self layers:N needs 1 <= N < " + std::to_string(target->config.n_layer));
        }
        d.description = "first " + std::to_string(d.layers) + " layers of the target";
    } else if (o.self == "q4") {
        d.model = q8::load_model(target_path, quant.load_options("q4"));
        d.description = "Q4 copy of the target";
    } else if (!o.self.empty()) {
        throw q8::EngineError("unknown --draft-self '" + o.self + "' (use q4 or layers:N)");
    } else {
        throw q8::EngineError("speculative decoding needs --draft FILE or --draft-self q4|layers:N");
    }
    return d;
}

}  // namespace q8bench
