// `q8bench info -m MODEL`: what a model file is, without running it.
#include <iostream>
#include <nlohmann/json.hpp>

#include "builtin_models.h"
#include "commands.h"
// Engine internals: info reports the file and the loaded model as the engine holds them.
#include "cpu_features.h"
#include "gguf_reader.h"
#include "model.h"

namespace q8bench {

void add_info_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("info", "Architecture, sizes, tensor types, vocabulary and context of a model");
    auto model_path = std::make_shared<std::string>();
    auto as_json = std::make_shared<bool>(false);
    cmd->add_option("-m,--model", *model_path, "GGUF model file (default: the built-in demo model)");
    cmd->add_flag("--json", *as_json, "Print JSON instead of text");
    cmd->callback([=] {
        if (model_path->empty()) *model_path = q8app::builtin_models().target;
        const auto model = q8::load_model(*model_path);
        const q8::ModelConfig& c = model->config;
        const q8::Vocab& v = model->tokenizer.vocab();
        uint64_t params = 0;
        for (const auto& t : model->file->tensors()) params += t.n_elements;
        nlohmann::json j{
            {"file", *model_path},
            {"name", c.name},
            {"architecture", c.arch_name},
            {"family", q8::arch_display_name(c.arch)},
            {"block",
             {{"norm", c.norm == q8::NormKind::Rms ? "rmsnorm" : "layernorm"},
              {"positions", c.positions == q8::PositionKind::Rope ? "rope" : "learned"},
              {"feed_forward", c.ffn == q8::FfnKind::SiluGated ? "swiglu" : "gelu (tanh)"}}},
            {"gguf_version", model->file->version()},
            {"file_bytes", model->file->file_size()},
            {"parameters", params},
            {"weight_bytes", model->weight_bytes()},
            {"layers", c.n_layer},
            {"embedding", c.n_embd},
            {"feed_forward", c.n_ff},
            {"heads", c.n_head},
            {"kv_heads", c.n_head_kv},
            {"head_dim", c.head_dim},
            {"rope",
             {{"style", c.rope_style == q8::RopeStyle::Normal ? "normal" : "neox"},
              {"base", c.rope_base},
              {"dims", c.n_rot},
              {"frequency_factors", !model->rope_freq_factors.empty()}}},
            {"norm_eps", c.norm_eps},
            {"context_length", c.n_ctx_train},
            {"tied_embeddings", model->output.rows == 0},
            {"tensor_types", model->file->tensor_type_summary()},
            {"vocabulary",
             {{"size", model->tokenizer.n_vocab()},
              {"model", v.kind == q8::VocabKind::spm ? "llama (SentencePiece)" : "gpt2 (byte-level BPE)"},
              {"pre_tokenizer", v.pre},
              {"bos", v.bos},
              {"eos", v.eos}}},
            {"kernel_path", q8::kernel_path_description()},
            {"amx", q8::amx_description()},
            {"cpu_features", q8::cpu_feature_summary()},
        };
        if (c.positions != q8::PositionKind::Rope) j.erase("rope");
        if (*as_json) {
            std::cout << j.dump(2) << "\n";
            return;
        }
        for (const auto& [k, val] : j.items())
            std::cout << k << ": " << (val.is_string() ? val.get<std::string>() : val.dump()) << "\n";
    });
}

}  // namespace q8bench
