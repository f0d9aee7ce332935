#pragma once
// The tensors of each architecture, in one table: GGUF names, shapes in terms of the
// hyper-parameters, and the Model / LayerWeights member each fills. The loader, the weight arena,
// the quantizer and `q8bench synth` all walk this table, so adding an architecture means adding
// its Arch value and one entry in arch_tensors.cpp.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model.h"

namespace q8 {

enum class TensorKind {
    Matrix,       // a weight matrix (rows = output channels)
    Norm,         // RMSNorm or LayerNorm weights
    Bias,         // added to a projection's or a LayerNorm's output
    RopeFactors,  // Llama 3 long-context RoPE frequency divisors, one per rotated pair
};

// A dimension in terms of the hyper-parameters. QkvDim: a fused Q|K|V projection's rows; Ctx: the
// training context (rows of a learned position table).
enum class Dim { None, Embd, QDim, KvDim, QkvDim, Ff, Vocab, RotPairs, Ctx };

// The hyper-parameters shapes are written in; q_dim = n_head * head_dim, kv_dim = n_head_kv * head_dim.
struct TensorDims {
    int64_t n_embd, q_dim, kv_dim, n_ff, n_vocab, n_rot, n_ctx;
};

TensorDims tensor_dims(const ModelConfig& c);
int64_t dim_size(const TensorDims& d, Dim dim);

enum class Presence {
    Always,
    Untied,    // absent when the token embedding doubles as the output head
    Optional,  // read when the file has it
};

// Which of a layer's activations a matrix reads. The values index a layer's four entries of
// q8chat.quant.act_static_scale (and quant's LinearInput).
enum class MatrixInput { Attn = 0, AttnOut = 1, Ffn = 2, Down = 3 };

// What a model-wide matrix is to the forward pass; each is converted under its own target.
// Positions: a learned position table, converted as the token embeddings are.
enum class MatrixRole { Layer, Embedding, Head, Positions };

// A model-wide tensor. Matrices set `matrix`, vectors `vector`. Shapes: rows x cols, stored in
// GGUF as ne = {cols, rows}; vectors have cols values and rows = Dim::None.
struct GlobalTensor {
    std::string_view name;
    TensorKind kind;
    Dim cols, rows = Dim::None;
    Presence presence = Presence::Always;
    bool before_layers = false;  // where converters write it: before the blocks or after them
    MatrixRole role = MatrixRole::Layer;
    WeightMatrix Model::*matrix = nullptr;
    std::vector<float> Model::*vector = nullptr;
};

// A tensor of every layer, named "blk.<i>." + name.
struct LayerTensor {
    std::string_view name;
    TensorKind kind;
    Dim cols, rows = Dim::None;
    MatrixInput input = MatrixInput::Attn;  // matrices only
    WeightMatrix LayerWeights::*matrix = nullptr;
    std::vector<float> LayerWeights::*vector = nullptr;
};

struct Architecture {
    Arch arch;
    std::string_view name;     // general.architecture
    std::string_view display;  // for people: "StarCoder (GPTBigCode)"
    RopeStyle rope_style;
    NormKind norm;
    PositionKind positions;
    FfnKind ffn;
    // In the order the loader reads them; the weight arena places matrices in this order too.
    std::span<const GlobalTensor> globals;
    std::span<const LayerTensor> layer;

    const GlobalTensor& matrix(MatrixRole role) const;  // the embedding table or the output head
};

const Architecture& architecture(Arch a);
const Architecture* find_architecture(std::string_view name);  // nullptr when unsupported
std::string architecture_names();                              // "llama, qwen2"

std::string layer_tensor_name(int64_t layer, const LayerTensor& t);                  // "blk.3.attn_q.weight"
const LayerTensor* find_layer_tensor(const Architecture& a, std::string_view name);  // name after "blk.<i>."
const GlobalTensor* find_global_tensor(const Architecture& a, std::string_view name);

// The weight matrices of m in table order (model-wide ones, then layer by layer), skipping an
// absent output head.
std::vector<WeightMatrix*> model_matrices(Model& m);
std::vector<const WeightMatrix*> model_matrices(const Model& m);
// Norm weights and biases (not RoPE factors, which are not learned), empty ones included.
std::vector<const std::vector<float>*> model_weight_vectors(const Model& m);

// Sets the static activation scale of L's int8-activation matrices from the layer's four scales
// (indexed by MatrixInput); a scale that is not finite and positive keeps per-token scaling.
void apply_static_act_scales(Arch a, LayerWeights& L, const float* scales);

}  // namespace q8
