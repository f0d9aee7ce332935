#pragma once
// A trained llama model embedded in a larger shape without changing what it computes, so that a
// small model with sensible text streams the weights of a real-sized one from DRAM: what
// speculative decoding and 4-bit weights are for, shown with a draft that still fits.
//
// Every added dimension of the residual stream stays zero: the embedding's extra columns are
// zero, and the rows of the attention output and FFN down projections that would write them are
// zero. RMSNorm then sees sum(x^2) unchanged over a D/d times longer vector, so its weights are
// scaled by sqrt(d/D) and its epsilon by d/D, which gives back the small model's normalised values.
// Added query heads, key/value heads, FFN neurons and layers read the stream through random weights
// (as a real model's would) but write nothing back: their output-side weights are zero. The small
// model's query heads keep their key/value head: head i of group j goes to the first heads of the
// larger model's group j. The vocabulary, context length and RoPE are the small model's.
#include <cstdint>
#include <functional>
#include <string>

#include "model_shapes.h"

namespace q8 {

struct EmbedOptions {
    uint64_t seed = 1;  // the random input-side weights; the same seed writes the same file
    // Called with the fraction written; returning false stops (no file is left behind).
    std::function<bool(float)> progress;
};

// Throws EngineError naming what does not fit: a model that is not llama, a head size that
// differs from the shape's, a shape smaller than the model in any dimension, a query-to-key/value
// head ratio the shape cannot hold. Returns false when progress asked to stop.
bool embed_model(const std::string& small_path, const ModelShape& shape, const std::string& output_path,
                 const EmbedOptions& options = {});

// About the bytes of the file embed_model writes (F16 matrices; alignment padding aside), for
// asking before writing it.
uint64_t embedded_model_bytes(const std::string& small_path, const ModelShape& shape);

}  // namespace q8
