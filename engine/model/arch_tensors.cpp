#include "arch_tensors.h"

#include <array>
#include <cmath>

#include <q8/error.h>

namespace q8 {

namespace {

using K = TensorKind;

constexpr GlobalTensor kTokenEmbd{.name = "token_embd.weight",
                                  .kind = K::Matrix,
                                  .cols = Dim::Embd,
                                  .rows = Dim::Vocab,
                                  .before_layers = true,
                                  .role = MatrixRole::Embedding,
                                  .matrix = &Model::token_embd};
constexpr GlobalTensor kOutputNorm{
    .name = "output_norm.weight", .kind = K::Norm, .cols = Dim::Embd, .vector = &Model::output_norm};
constexpr GlobalTensor kOutputNormBias{
    .name = "output_norm.bias", .kind = K::Bias, .cols = Dim::Embd, .vector = &Model::output_norm_b};
constexpr GlobalTensor kOutput{.name = "output.weight",
                               .kind = K::Matrix,
                               .cols = Dim::Embd,
                               .rows = Dim::Vocab,
                               .presence = Presence::Untied,
                               .role = MatrixRole::Head,
                               .matrix = &Model::output};
// Llama 3 files carry RoPE factors; they are honoured in any RoPE architecture's file that has them.
constexpr GlobalTensor kRopeFreqs{.name = "rope_freqs.weight",
                                  .kind = K::RopeFactors,
                                  .cols = Dim::RotPairs,
                                  .presence = Presence::Optional,
                                  .before_layers = true,
                                  .vector = &Model::rope_freq_factors};
constexpr GlobalTensor kPositionEmbd{.name = "position_embd.weight",
                                     .kind = K::Matrix,
                                     .cols = Dim::Embd,
                                     .rows = Dim::Ctx,
                                     .before_layers = true,
                                     .role = MatrixRole::Positions,
                                     .matrix = &Model::position_embd};

constexpr std::array<GlobalTensor, 4> kRmsGlobals{{kTokenEmbd, kOutputNorm, kOutput, kRopeFreqs}};
constexpr std::array<GlobalTensor, 5> kStarcoder2Globals{
    {kTokenEmbd, kOutputNorm, kOutputNormBias, kOutput, kRopeFreqs}};
constexpr std::array<GlobalTensor, 5> kStarcoderGlobals{
    {kTokenEmbd, kPositionEmbd, kOutputNorm, kOutputNormBias, kOutput}};

constexpr LayerTensor norm(std::string_view name, std::vector<float> LayerWeights::*v) {
    return {.name = name, .kind = K::Norm, .cols = Dim::Embd, .vector = v};
}
constexpr LayerTensor bias(std::string_view name, Dim n, std::vector<float> LayerWeights::*v) {
    return {.name = name, .kind = K::Bias, .cols = n, .vector = v};
}
constexpr LayerTensor matrix(std::string_view name, Dim cols, Dim rows, MatrixInput in, WeightMatrix LayerWeights::*m) {
    return {.name = name, .kind = K::Matrix, .cols = cols, .rows = rows, .input = in, .matrix = m};
}

using L = LayerWeights;
using In = MatrixInput;

constexpr std::array<LayerTensor, 9> kLlamaLayer{{
    norm("attn_norm.weight", &L::attn_norm),
    matrix("attn_q.weight", Dim::Embd, Dim::QDim, In::Attn, &L::wq),
    matrix("attn_k.weight", Dim::Embd, Dim::KvDim, In::Attn, &L::wk),
    matrix("attn_v.weight", Dim::Embd, Dim::KvDim, In::Attn, &L::wv),
    matrix("attn_output.weight", Dim::QDim, Dim::Embd, In::AttnOut, &L::wo),
    norm("ffn_norm.weight", &L::ffn_norm),
    matrix("ffn_gate.weight", Dim::Embd, Dim::Ff, In::Ffn, &L::w_gate),
    matrix("ffn_up.weight", Dim::Embd, Dim::Ff, In::Ffn, &L::w_up),
    matrix("ffn_down.weight", Dim::Ff, Dim::Embd, In::Down, &L::w_down),
}};

constexpr std::array<LayerTensor, 12> kQwen2Layer{{
    norm("attn_norm.weight", &L::attn_norm),
    matrix("attn_q.weight", Dim::Embd, Dim::QDim, In::Attn, &L::wq),
    matrix("attn_k.weight", Dim::Embd, Dim::KvDim, In::Attn, &L::wk),
    matrix("attn_v.weight", Dim::Embd, Dim::KvDim, In::Attn, &L::wv),
    bias("attn_q.bias", Dim::QDim, &L::bq),
    bias("attn_k.bias", Dim::KvDim, &L::bk),
    bias("attn_v.bias", Dim::KvDim, &L::bv),
    matrix("attn_output.weight", Dim::QDim, Dim::Embd, In::AttnOut, &L::wo),
    norm("ffn_norm.weight", &L::ffn_norm),
    matrix("ffn_gate.weight", Dim::Embd, Dim::Ff, In::Ffn, &L::w_gate),
    matrix("ffn_up.weight", Dim::Embd, Dim::Ff, In::Ffn, &L::w_up),
    matrix("ffn_down.weight", Dim::Ff, Dim::Embd, In::Down, &L::w_down),
}};

// StarCoder2: separate Q/K/V (grouped-query), every projection and LayerNorm with a bias, an
// ungated GELU feed-forward.
constexpr std::array<LayerTensor, 16> kStarcoder2Layer{{
    norm("attn_norm.weight", &L::attn_norm),
    bias("attn_norm.bias", Dim::Embd, &L::attn_norm_b),
    matrix("attn_q.weight", Dim::Embd, Dim::QDim, In::Attn, &L::wq),
    matrix("attn_k.weight", Dim::Embd, Dim::KvDim, In::Attn, &L::wk),
    matrix("attn_v.weight", Dim::Embd, Dim::KvDim, In::Attn, &L::wv),
    bias("attn_q.bias", Dim::QDim, &L::bq),
    bias("attn_k.bias", Dim::KvDim, &L::bk),
    bias("attn_v.bias", Dim::KvDim, &L::bv),
    matrix("attn_output.weight", Dim::QDim, Dim::Embd, In::AttnOut, &L::wo),
    bias("attn_output.bias", Dim::Embd, &L::bo),
    norm("ffn_norm.weight", &L::ffn_norm),
    bias("ffn_norm.bias", Dim::Embd, &L::ffn_norm_b),
    matrix("ffn_up.weight", Dim::Embd, Dim::Ff, In::Ffn, &L::w_up),
    bias("ffn_up.bias", Dim::Ff, &L::b_up),
    matrix("ffn_down.weight", Dim::Ff, Dim::Embd, In::Down, &L::w_down),
    bias("ffn_down.bias", Dim::Embd, &L::b_down),
}};

// StarCoder / GPTBigCode: as StarCoder2 but with one fused Q|K|V projection (rows: the queries,
// then the key and the value heads; one key/value head in the released multi-query models).
constexpr std::array<LayerTensor, 12> kStarcoderLayer{{
    norm("attn_norm.weight", &L::attn_norm),
    bias("attn_norm.bias", Dim::Embd, &L::attn_norm_b),
    matrix("attn_qkv.weight", Dim::Embd, Dim::QkvDim, In::Attn, &L::wqkv),
    bias("attn_qkv.bias", Dim::QkvDim, &L::bqkv),
    matrix("attn_output.weight", Dim::QDim, Dim::Embd, In::AttnOut, &L::wo),
    bias("attn_output.bias", Dim::Embd, &L::bo),
    norm("ffn_norm.weight", &L::ffn_norm),
    bias("ffn_norm.bias", Dim::Embd, &L::ffn_norm_b),
    matrix("ffn_up.weight", Dim::Embd, Dim::Ff, In::Ffn, &L::w_up),
    bias("ffn_up.bias", Dim::Ff, &L::b_up),
    matrix("ffn_down.weight", Dim::Ff, Dim::Embd, In::Down, &L::w_down),
    bias("ffn_down.bias", Dim::Embd, &L::b_down),
}};

// Normal RoPE for Llama because converters permute its Q/K rows; the others are used unpermuted.
// GPTBigCode has no RoPE (its style is never used).
const std::array<Architecture, 4> kArchitectures{{
    {.arch = Arch::Llama,
     .name = "llama",
     .display = "Llama",
     .rope_style = RopeStyle::Normal,
     .norm = NormKind::Rms,
     .positions = PositionKind::Rope,
     .ffn = FfnKind::SiluGated,
     .globals = kRmsGlobals,
     .layer = kLlamaLayer},
    {.arch = Arch::Qwen2,
     .name = "qwen2",
     .display = "Qwen2",
     .rope_style = RopeStyle::Neox,
     .norm = NormKind::Rms,
     .positions = PositionKind::Rope,
     .ffn = FfnKind::SiluGated,
     .globals = kRmsGlobals,
     .layer = kQwen2Layer},
    {.arch = Arch::Starcoder2,
     .name = "starcoder2",
     .display = "StarCoder2",
     .rope_style = RopeStyle::Neox,
     .norm = NormKind::Layer,
     .positions = PositionKind::Rope,
     .ffn = FfnKind::GeluTanh,
     .globals = kStarcoder2Globals,
     .layer = kStarcoder2Layer},
    {.arch = Arch::Starcoder,
     .name = "starcoder",
     .display = "StarCoder (GPTBigCode)",
     .rope_style = RopeStyle::Neox,
     .norm = NormKind::Layer,
     .positions = PositionKind::Learned,
     .ffn = FfnKind::GeluTanh,
     .globals = kStarcoderGlobals,
     .layer = kStarcoderLayer},
}};

template <class M, class W>
std::vector<W*> collect_matrices(M& m) {
    const Architecture& a = architecture(m.config.arch);
    std::vector<W*> out;
    for (const GlobalTensor& g : a.globals) {
        if (g.kind == TensorKind::Matrix && (m.*g.matrix).rows > 0) out.push_back(&(m.*g.matrix));
    }
    for (auto& layer : m.layers) {
        for (const LayerTensor& t : a.layer) {
            if (t.kind == TensorKind::Matrix) out.push_back(&(layer.*t.matrix));
        }
    }
    return out;
}

}  // namespace

TensorDims tensor_dims(const ModelConfig& c) {
    return {.n_embd = c.n_embd,
            .q_dim = c.n_head * c.head_dim,
            .kv_dim = c.n_embd_kv(),
            .n_ff = c.n_ff,
            .n_vocab = c.n_vocab,
            .n_rot = c.n_rot,
            .n_ctx = c.n_ctx_train};
}

int64_t dim_size(const TensorDims& d, Dim dim) {
    switch (dim) {
    case Dim::None: return 1;
    case Dim::Embd: return d.n_embd;
    case Dim::QDim: return d.q_dim;
    case Dim::KvDim: return d.kv_dim;
    case Dim::QkvDim: return d.q_dim + 2 * d.kv_dim;
    case Dim::Ff: return d.n_ff;
    case Dim::Vocab: return d.n_vocab;
    case Dim::RotPairs: return d.n_rot / 2;
    case Dim::Ctx: return d.n_ctx;
    }
    return 0;
}

const GlobalTensor& Architecture::matrix(MatrixRole role) const {
    for (const GlobalTensor& g : globals) {
        if (g.kind == TensorKind::Matrix && g.role == role) return g;
    }
    throw EngineError("architecture " + std::string(name) + " has no model-wide matrix of that role");
}

const Architecture& architecture(Arch a) {
    for (const Architecture& x : kArchitectures) {
        if (x.arch == a) return x;
    }
    return kArchitectures[0];
}

const Architecture* find_architecture(std::string_view name) {
    for (const Architecture& x : kArchitectures) {
        if (x.name == name) return &x;
    }
    return nullptr;
}

std::string architecture_names() {
    std::string s;
    for (const Architecture& x : kArchitectures) s += (s.empty() ? "" : ", ") + std::string(x.name);
    return s;
}

std::string layer_tensor_name(int64_t layer, const LayerTensor& t) {
    return "blk." + std::to_string(layer) + "." + std::string(t.name);
}

const LayerTensor* find_layer_tensor(const Architecture& a, std::string_view name) {
    for (const LayerTensor& t : a.layer) {
        if (t.name == name) return &t;
    }
    return nullptr;
}

const GlobalTensor* find_global_tensor(const Architecture& a, std::string_view name) {
    for (const GlobalTensor& t : a.globals) {
        if (t.name == name) return &t;
    }
    return nullptr;
}

std::vector<WeightMatrix*> model_matrices(Model& m) { return collect_matrices<Model, WeightMatrix>(m); }

std::vector<const WeightMatrix*> model_matrices(const Model& m) {
    return collect_matrices<const Model, const WeightMatrix>(m);
}

std::vector<const std::vector<float>*> model_weight_vectors(const Model& m) {
    const Architecture& a = architecture(m.config.arch);
    std::vector<const std::vector<float>*> out;
    for (const GlobalTensor& g : a.globals) {
        if (g.kind == TensorKind::Norm || g.kind == TensorKind::Bias) out.push_back(&(m.*g.vector));
    }
    for (const LayerWeights& layer : m.layers) {
        for (const LayerTensor& t : a.layer) {
            if (t.kind == TensorKind::Norm || t.kind == TensorKind::Bias) out.push_back(&(layer.*t.vector));
        }
    }
    return out;
}

void apply_static_act_scales(Arch a, LayerWeights& L, const float* scales) {
    for (const LayerTensor& t : architecture(a).layer) {
        if (t.kind != TensorKind::Matrix) continue;
        WeightMatrix& w = L.*t.matrix;
        const float s = scales[static_cast<int>(t.input)];
        // Static scales belong to the per-token mode; block scales are always computed per block.
        if (w.int8_activations && !w.act_blocks && std::isfinite(s) && s > 0.f) w.act_scale = s;
    }
}

}  // namespace q8
