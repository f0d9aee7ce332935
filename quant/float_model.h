#pragma once
// A model's layer weights as plain float matrices, for the transformations quantization needs
// (SmoothQuant folding, outlier injection for ablations), and the way back: assembling a runnable
// Model from float layers in any weight format the engine has.
#include <memory>
#include <string>
#include <vector>

#include "arch_tensors.h"
#include "model.h"
#include "weight_quant.h"

namespace q8::quant {

struct FloatMatrix {
    int64_t rows = 0, cols = 0;
    std::vector<float> w;  // rows x cols, row-major (row = output channel)
    float* row(int64_t r) { return w.data() + r * cols; }
    const float* row(int64_t r) const { return w.data() + r * cols; }
    float& at(int64_t r, int64_t c) { return w[static_cast<size_t>(r * cols + c)]; }
};

struct FloatLayer {
    std::vector<float> attn_norm, attn_norm_b, ffn_norm, ffn_norm_b, bq, bk, bv, bqkv, bo, b_up, b_down;
    FloatMatrix wq, wk, wv, wqkv, wo, w_gate, w_up, w_down;

    // The member standing for an architecture table's matrix / norm or bias (arch_tensors.h).
    FloatMatrix& matrix(const LayerTensor& t);
    const FloatMatrix& matrix(const LayerTensor& t) const;
    std::vector<float>& vector(const LayerTensor& t);
    const std::vector<float>& vector(const LayerTensor& t) const;
};

struct FloatLayers {
    std::vector<FloatLayer> layers;
};

// The first layer matrix of `f` stored quantized (not F32, F16 or BF16), or nullptr. Float layers
// of such a file would carry its quantization error into every comparison and requantization.
const GgufTensorInfo* quantized_layer_matrix(const GgufFile& f);

// Decodes every layer matrix of `m` (any format) to floats.
FloatLayers float_layers(const Model& m);

// What to build: the layer matrices' target, and the embedding table's and output head's. An
// `int8_activations` flag in a target applies to that role's matrices.
struct AssembleSpec {
    WeightTarget layer{WeightLayout::Ggml, GgmlType::F32, 0, false};
    WeightTarget embd{WeightLayout::Ggml, GgmlType::F32, 0, false};
    WeightTarget head{WeightLayout::Ggml, GgmlType::F32, 0, false};
    std::string label;
    // Static per-tensor activation scales for int8-activation layer matrices: 4 per layer (attn,
    // attn_out, ffn, down; see act_policy.h), 0 = per token. Empty: all per token.
    std::vector<float> act_static_scales{};
};

// A new Model with `base`'s file, configuration, tokenizer, output norm and RoPE factors, `layers`
// for its layers, and base's embedding and position tables and head converted as `spec` says.
std::shared_ptr<const Model> assemble_model(const Model& base, const FloatLayers& layers, const AssembleSpec& spec);

}  // namespace q8::quant

namespace q8::quant {

// The SmoothQuant ablation's model: input channels `channels` of every attention and FFN input
// made `factor` times larger (attn_norm / ffn_norm weights) and the Q/K/V and gate/up columns
// that read them `factor` times smaller, so the float model computes the same function while its
// activations carry outlier channels like those of large trained LLMs.
void inject_outlier_channels(FloatLayers& layers, const std::vector<int64_t>& channels, float factor);

}  // namespace q8::quant
