#pragma once
// Converting a float model (a Hugging Face folder, or an F32/BF16/F16 GGUF file) to an F16 GGUF
// file, as llama.cpp's converter writes one: the same metadata (general.file_type MOSTLY_F16),
// weight matrices as F16, norms, biases and other vectors as F32. q8quant --type f16.
#include <functional>
#include <string>

namespace q8::quant {

// progress(fraction) after each tensor; returning false cancels. Throws EngineError for an input
// that is not a loadable float model, an unwritable output or cancellation; never leaves a
// partial file. Returns the output's size in bytes.
uint64_t convert_to_f16(const std::string& input, const std::string& output,
                        const std::function<bool(float)>& progress = {});

}  // namespace q8::quant
