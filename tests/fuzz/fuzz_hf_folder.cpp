// Arbitrary bytes as a Hugging Face model folder, centred on config.json: the input's sections
// (fuzz_sections.h) become, in order, config.json, tokenizer.json, tokenizer_config.json, two
// safetensors shards and model.safetensors.index.json; an empty or missing section leaves that
// file out. The folder must either be refused with EngineError or open the same way for a model
// description as for its weights (same keys, same tensors), and a model that loads from it must
// match its hyper-parameters.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include <q8/error.h>
#include <q8/models.h>

#include "fuzz_sections.h"
#include "gguf_reader.h"
#include "hf_folder.h"
#include "model.h"

namespace {

namespace fs = std::filesystem;

constexpr const char* kFiles[] = {"config.json",
                                  "tokenizer.json",
                                  "tokenizer_config.json",
                                  "model-00001-of-00002.safetensors",
                                  "model-00002-of-00002.safetensors",
                                  "model.safetensors.index.json"};

// One folder for the whole run, refilled for each input.
const fs::path& folder() {
    static const fs::path dir = [] {
        std::string tmpl = (fs::temp_directory_path() / "q8fuzz-hf-XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr) __builtin_trap();
        return fs::path(tmpl);
    }();
    return dir;
}

void fill_folder(const uint8_t* data, size_t size) {
    const std::vector<std::string_view> parts = q8fuzz::split_sections(data, size);
    for (size_t i = 0; i < std::size(kFiles); ++i) {
        const fs::path file = folder() / kFiles[i];
        fs::remove(file);
        if (i >= parts.size() || parts[i].empty()) continue;
        std::ofstream out(file, std::ios::binary);
        out.write(parts[i].data(), static_cast<std::streamsize>(parts[i].size()));
        if (!out) __builtin_trap();
    }
}

// The description view skips copying permuted rows; everything else must be the same.
void check_same_file(const q8::GgufFile& description, const q8::GgufFile& weights) {
    if (description.keys() != weights.keys()) __builtin_trap();
    if (description.tensors().size() != weights.tensors().size()) __builtin_trap();
    for (size_t i = 0; i < weights.tensors().size(); ++i) {
        const q8::GgufTensorInfo& d = description.tensors()[i];
        const q8::GgufTensorInfo& w = weights.tensors()[i];
        if (d.name != w.name || d.type != w.type || d.ne != w.ne || d.n_bytes != w.n_bytes) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    spdlog::set_level(spdlog::level::off);  // every rejected input would log a warning
    (void)folder();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fill_folder(data, size);
    const std::string dir = folder().string();
    try {
        const auto description = q8::open_hf_folder(dir, q8::FileUse::Description);
        // What opens for a description must open for the weights too, with the same metadata.
        std::unique_ptr<q8::GgufFile> weights;
        try {
            weights = q8::open_hf_folder(dir, q8::FileUse::Weights);
        } catch (const q8::EngineError&) {
            __builtin_trap();
        }
        check_same_file(*description, *weights);
        const auto model = q8::load_model(dir);
        if (model->tokenizer.n_vocab() != model->config.n_vocab) __builtin_trap();
        if (static_cast<int64_t>(model->layers.size()) != model->config.n_layer) __builtin_trap();
    } catch (const q8::EngineError&) {
    }
    return 0;
}
