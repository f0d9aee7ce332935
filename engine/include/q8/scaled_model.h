#pragma once
// A "scaled" model: a trained small llama model embedded in the shape of a real-sized one without
// changing its output. Its weights stream from DRAM like the real model's, so what 4-bit weights
// and speculative decoding buy shows as it would on that model, while the text (and the draft that
// fits it) stays the small model's. It is not a bigger or better model. The window builds the
// built-in demo target at TinyLlama-1.1B size this way ("scaled demo"); `q8bench synth --from`
// writes any. How the embedding keeps the output: engine/model/embed_model.h.
#include <cstdint>
#include <functional>
#include <string>

namespace q8 {

struct ScaleOptions {
    std::string shape = "tinyllama-1.1b";  // a `q8bench synth` shape with the model's head size
    uint64_t seed = 1;
    // Called with the fraction written; returning false stops and leaves no file.
    std::function<bool(float)> progress;
};

// Writes the scaled model to output_path (through a temporary file). Throws EngineError with the
// reason when the model cannot be embedded in the shape or the file cannot be written; returns
// false when progress asked to stop.
bool write_scaled_model(const std::string& small_path, const std::string& output_path,
                        const ScaleOptions& options = {});
// About the bytes write_scaled_model writes, for asking first. Throws as write_scaled_model does.
uint64_t scaled_model_bytes(const std::string& small_path, const std::string& shape = "tinyllama-1.1b");

}  // namespace q8
