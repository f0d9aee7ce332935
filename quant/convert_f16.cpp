#include "convert_f16.h"

#include <filesystem>

#include <q8/error.h>

#include "dequantize.h"
#include "gguf_writer.h"
#include "half.h"
#include "hf_folder.h"
#include "model_config.h"
#include "vocab.h"

namespace q8::quant {

namespace {

bool float_type(GgmlType t) { return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16; }

void append_converted(std::vector<uint8_t>& out, const GgufTensorInfo& t, bool to_f16) {
    const size_t cols = static_cast<size_t>(t.ne[0]);
    const size_t rows = static_cast<size_t>(t.n_elements) / cols;
    const size_t src_row = static_cast<size_t>(t.n_bytes) / rows;
    std::vector<float> x(cols);
    out.reserve(out.size() + t.n_elements * (to_f16 ? 2 : 4));
    for (size_t r = 0; r < rows; ++r) {
        dequantize_row(t.type, t.data + r * src_row, x.data(), cols);
        for (float v : x) {
            if (to_f16) {
                const uint16_t h = f32_to_f16(v);
                out.push_back(static_cast<uint8_t>(h & 0xff));
                out.push_back(static_cast<uint8_t>(h >> 8));
            } else {
                const auto* p = reinterpret_cast<const uint8_t*>(&v);
                out.insert(out.end(), p, p + 4);
            }
        }
    }
}

}  // namespace

uint64_t convert_to_f16(const std::string& input, const std::string& output,
                        const std::function<bool(float)>& progress) {
    if (std::filesystem::exists(output) && std::filesystem::equivalent(input, output)) {
        throw EngineError("q8quant: the output would overwrite the input");
    }
    const auto file = open_model_file(input);
    // Refused here, not by whoever reads the output: the model and its vocabulary must load.
    read_model_config(*file);
    Vocab::from_gguf(*file);
    GgufWriter::check_writable(output);

    GgufWriter w;
    w.set_alignment(file->alignment());
    for (const std::string& key : file->keys()) w.copy_key(*file, key);
    w.set_u32("general.file_type", 1u);  // llama_ftype MOSTLY_F16
    for (const GgufTensorInfo& t : file->tensors()) {
        if (!float_type(t.type)) {
            throw EngineError(input + ": tensor '" + t.name + "' is already quantized (" +
                              std::string(type_traits(static_cast<uint32_t>(t.type))->name) +
                              "); converting to F16 needs F32, BF16 or F16 weights");
        }
        const bool matrix = t.n_dims == 2;
        const std::vector<uint64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
        const GgufTensorInfo* tp = &t;
        w.add_tensor(t.name, matrix ? GgmlType::F16 : GgmlType::F32, ne,
                     [tp, matrix](std::vector<uint8_t>& out) { append_converted(out, *tp, matrix); });
    }
    if (!w.write(output, progress)) throw EngineError("q8quant: conversion cancelled");
    return std::filesystem::file_size(output);
}

}  // namespace q8::quant
