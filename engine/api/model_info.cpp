// ModelInfo from a file's header (before loading) or from a loaded model, and what loading will
// cost in memory.
#include <q8/models.h>

#include "gguf_reader.h"
#include "hf_folder.h"
#include "model.h"
#include "model_config.h"
#include "vocab.h"

namespace q8 {

namespace {

SpecialToken special(const Vocab& v, int32_t id) {
    if (!v.valid_id(id)) return {};
    return SpecialToken{id, v.tokens[static_cast<size_t>(id)]};
}

std::string tokenizer_description(const Vocab& v) {
    if (v.kind == VocabKind::spm) return "llama (SentencePiece)";
    return "gpt2 (byte-level BPE, pre-tokenizer " + v.pre + ")";
}

ModelInfo describe(const GgufFile& file, const ModelConfig& cfg, const Vocab& vocab) {
    ModelInfo i;
    i.path = file.path();
    i.name = cfg.name;
    i.architecture = cfg.arch_name;
    i.n_vocab = cfg.n_vocab;
    i.n_embd = cfg.n_embd;
    i.n_layer = cfg.n_layer;
    i.n_head = cfg.n_head;
    i.n_head_kv = cfg.n_head_kv;
    i.head_dim = cfg.head_dim;
    i.n_ff = cfg.n_ff;
    i.n_ctx_train = cfg.n_ctx_train;
    for (const auto& t : file.tensors()) i.parameters += static_cast<int64_t>(t.n_elements);
    i.file_bytes = file.file_size();
    i.file_type = file.tensor_type_summary();
    i.tokenizer = tokenizer_description(vocab);
    i.chat_template = file.opt_string("tokenizer.chat_template").value_or("");
    i.special = SpecialTokens{special(vocab, vocab.bos),
                              special(vocab, vocab.eos),
                              special(vocab, vocab.eot),
                              special(vocab, vocab.fim_pre),
                              special(vocab, vocab.fim_suf),
                              special(vocab, vocab.fim_mid),
                              vocab.eog_ids,
                              vocab.add_bos && vocab.valid_id(vocab.bos)};
    return i;
}

}  // namespace

uint64_t ModelInfo::kv_cache_bytes(int64_t n_ctx, bool f32_cache) const {
    return 2ull * static_cast<uint64_t>(n_layer) * static_cast<uint64_t>(n_ctx) *
           static_cast<uint64_t>(n_head_kv * head_dim) * (f32_cache ? 4u : 2u);
}

ModelInfo read_model_info(const std::string& path) {
    const auto file = open_model_file(path, FileUse::Description);
    const ModelConfig cfg = read_model_config(*file);
    const Vocab vocab = Vocab::from_gguf(*file);
    return describe(*file, cfg, vocab);
}

ModelInfo model_info(const Model& model) {
    ModelInfo i = describe(*model.file, model.config, model.tokenizer.vocab());
    i.precision = model.precision;
    i.weight_bytes = model.weight_bytes();
    return i;
}

MemoryEstimate estimate_memory(const ModelInfo& info, Precision precision, int64_t n_ctx, ActivationMode activations) {
    LoadOptions options;
    options.precision = precision;
    options.activations = activations;
    MemoryEstimate e;
    e.weights = estimate_weight_bytes(*open_model_file(info.path, FileUse::Description), options);
    e.kv_cache = info.kv_cache_bytes(n_ctx);
    return e;
}

}  // namespace q8
