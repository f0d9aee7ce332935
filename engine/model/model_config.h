#pragma once
// Hyper-parameters of a transformer, read from GGUF metadata and checked for consistency before
// any weight is touched.
#include <cstdint>
#include <string>

namespace q8 {

class GgufFile;

enum class Arch { Llama, Qwen2, Starcoder2, Starcoder };

// How RoPE pairs dimensions. Normal: (2i, 2i+1), the layout converters produce for Llama by
// permuting Q/K rows. Neox: (i, i + n_rot/2), used unpermuted by Qwen2 and others.
enum class RopeStyle { Normal, Neox };

// The variants of the decoder block the engine runs, chosen per architecture (arch_tensors.cpp).
enum class NormKind { Rms, Layer };          // RMSNorm, or LayerNorm with a bias
enum class PositionKind { Rope, Learned };   // RoPE on Q/K, or a learned table added to the embeddings
enum class FfnKind { SiluGated, GeluTanh };  // down(silu(gate x) * up x), or down(gelu(up x + b)) + b

struct ModelConfig {
    Arch arch = Arch::Llama;
    std::string arch_name;  // as written in general.architecture
    std::string name;       // general.name, or the file name
    int64_t n_vocab = 0;
    int64_t n_embd = 0;
    int64_t n_layer = 0;
    int64_t n_head = 0;
    int64_t n_head_kv = 0;
    int64_t head_dim = 0;
    int64_t n_ff = 0;
    int64_t n_rot = 0;
    int64_t n_ctx_train = 0;
    float rope_base = 10000.f;
    int64_t sliding_window = 0;  // a position attends to this many positions, itself included; 0: all
    float norm_eps = 1e-5f;
    RopeStyle rope_style = RopeStyle::Normal;
    NormKind norm = NormKind::Rms;
    PositionKind positions = PositionKind::Rope;
    FfnKind ffn = FfnKind::SiluGated;

    int64_t n_embd_kv() const { return n_head_kv * head_dim; }
};

// Throws EngineError naming the file and the key for an unknown architecture or bad values.
ModelConfig read_model_config(const GgufFile& f);

std::string arch_display_name(Arch a);  // "Llama", "StarCoder (GPTBigCode)", ...

}  // namespace q8
