#pragma once
// A synthetic model in a GGUF writer: the hyper-parameter keys and every tensor a llama.cpp
// conversion of the shape has, named and laid out as the engine's loader reads them. Tensor data
// is generated only when the writer asks for it, one tensor at a time, so the model is never held
// in memory.
#include <cstdint>
#include <vector>

#include "gguf_writer.h"
#include "model_shapes.h"

namespace q8bench {

struct SynthTensors {
    uint64_t parameters = 0;
    std::vector<uint64_t> bytes;  // data bytes of each tensor, in file order
};

// general.* and <arch>.* keys (no tokenizer: see synth_vocab.h).
void add_synth_hparams(q8::quant::GgufWriter& w, const q8::ModelShape& shape, uint64_t seed);

// Matrices F16 N(0, 0.02^2), one independent random stream per tensor derived from `seed` (the
// same seed gives the same file); norm weights F32 ones; biases F32 zeros; Llama 3 RoPE
// frequency factors as converters compute them.
SynthTensors add_synth_tensors(q8::quant::GgufWriter& w, const q8::ModelShape& shape, uint64_t seed);

}  // namespace q8bench
