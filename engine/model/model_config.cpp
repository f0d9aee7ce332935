#include "model_config.h"

#include <filesystem>

#include <q8/error.h>

#include "arch_tensors.h"
#include "gguf_reader.h"

namespace q8 {

namespace {

constexpr int64_t kMaxDim = 1 << 20;  // no real model has a hidden size or head count this large
constexpr int64_t kMaxLayers = 1 << 12;
constexpr int64_t kMaxVocab = 1 << 22;

int64_t checked(const GgufFile& f, const std::string& key, int64_t v, int64_t lo, int64_t hi) {
    if (v < lo || v > hi) {
        throw EngineError(f.path() + ": metadata '" + key + "' = " + std::to_string(v) + " is out of range [" +
                          std::to_string(lo) + ", " + std::to_string(hi) + "]");
    }
    return v;
}

}  // namespace

std::string arch_display_name(Arch a) { return std::string(architecture(a).display); }

ModelConfig read_model_config(const GgufFile& f) {
    ModelConfig c;
    c.arch_name = f.get_string("general.architecture");
    const Architecture* arch = find_architecture(c.arch_name);
    if (arch == nullptr) {
        throw EngineError(f.path() + ": unsupported model architecture '" + c.arch_name +
                          "' (supported: " + architecture_names() + ")");
    }
    c.arch = arch->arch;
    c.rope_style = arch->rope_style;
    c.norm = arch->norm;
    c.positions = arch->positions;
    c.ffn = arch->ffn;
    c.name = f.opt_string("general.name").value_or(std::filesystem::path(f.path()).stem().string());
    const std::string& a = c.arch_name;
    auto key = [&a](const char* k) { return a + "." + k; };

    c.n_embd = checked(f, key("embedding_length"), f.get_int(key("embedding_length")), 1, kMaxDim);
    c.n_layer = checked(f, key("block_count"), f.get_int(key("block_count")), 1, kMaxLayers);
    c.n_ff = checked(f, key("feed_forward_length"), f.get_int(key("feed_forward_length")), 1, kMaxDim * 4);
    c.n_head = checked(f, key("attention.head_count"), f.get_int(key("attention.head_count")), 1, c.n_embd);
    c.n_head_kv = checked(f, key("attention.head_count_kv"),
                          f.opt_int(key("attention.head_count_kv")).value_or(c.n_head), 1, c.n_head);
    if (c.n_head % c.n_head_kv != 0) {
        throw EngineError(f.path() + ": head count " + std::to_string(c.n_head) +
                          " is not a multiple of the key/value head count " + std::to_string(c.n_head_kv));
    }
    c.head_dim = checked(f, key("attention.key_length"),
                         f.opt_int(key("attention.key_length")).value_or(c.n_embd / c.n_head), 1, kMaxDim);
    if (c.positions == PositionKind::Rope) {
        if (c.head_dim % 2 != 0) {
            throw EngineError(f.path() + ": head dimension " + std::to_string(c.head_dim) + " is odd");
        }
        c.n_rot = checked(f, key("rope.dimension_count"), f.opt_int(key("rope.dimension_count")).value_or(c.head_dim),
                          2, c.head_dim);
        if (c.n_rot % 2 != 0) throw EngineError(f.path() + ": rope dimension count is odd");
    }
    c.n_ctx_train = checked(f, key("context_length"), f.opt_int(key("context_length")).value_or(2048), 1, 1 << 24);
    // StarCoder2 was trained attending to a window of positions (4096), and says so.
    c.sliding_window =
        checked(f, key("attention.sliding_window"), f.opt_int(key("attention.sliding_window")).value_or(0), 0, 1 << 24);
    c.rope_base = static_cast<float>(f.opt_float(key("rope.freq_base")).value_or(10000.0));
    if (!(c.rope_base > 1.f)) throw EngineError(f.path() + ": metadata '" + key("rope.freq_base") + "' must be > 1");
    const std::string eps_key =
        key(c.norm == NormKind::Rms ? "attention.layer_norm_rms_epsilon" : "attention.layer_norm_epsilon");
    c.norm_eps = static_cast<float>(f.opt_float(eps_key).value_or(1e-5));
    if (!(c.norm_eps > 0.f && c.norm_eps < 1.f)) {
        throw EngineError(f.path() + ": metadata '" + eps_key + "' is out of range");
    }
    if (const auto* t = f.find_tensor(arch->matrix(MatrixRole::Embedding).name)) {
        c.n_vocab = static_cast<int64_t>(t->ne[1]);
    }
    c.n_vocab = checked(f, "vocabulary size", f.opt_int(key("vocab_size")).value_or(c.n_vocab), 1, kMaxVocab);
    return c;
}

}  // namespace q8
