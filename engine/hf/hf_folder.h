#pragma once
// A Hugging Face checkpoint folder (config.json, tokenizer.json, tokenizer_config.json and one or
// more *.safetensors files, sharded with model.safetensors.index.json) seen as the GGUF file a
// converter would write from it: the same metadata keys, tokenizer.ggml.* vocabulary and tensor
// names, Llama's Q/K rows permuted. Tensors are used in place from the mapped shards (the
// permuted ones are copied), so everything that reads GGUF files loads the folder unchanged.
#include <memory>
#include <string>

#include "gguf_reader.h"

namespace q8 {

// What the file is opened for. Description: metadata, tensor names, shapes and types only (for
// model info and memory estimates); the permuted tensors then hold their rows as stored, which
// saves copying them.
enum class FileUse { Weights, Description };

// Throws EngineError naming the file and the field: missing or inconsistent config.json, an
// unsupported architecture, a shard index naming a missing file or tensor, tensors the
// configuration does not account for, malformed safetensors or tokenizer files.
std::unique_ptr<GgufFile> open_hf_folder(const std::string& dir, FileUse use = FileUse::Weights);

// A GGUF file, or a Hugging Face folder when `path` is a directory.
std::unique_ptr<GgufFile> open_model_file(const std::string& path, FileUse use = FileUse::Weights);

}  // namespace q8
