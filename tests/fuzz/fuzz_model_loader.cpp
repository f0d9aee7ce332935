// Arbitrary bytes as a model file: load_model must either refuse them with EngineError or give a
// model whose tokenizer and weights are consistent with its hyper-parameters.
#include <cstddef>
#include <cstdint>

#include <spdlog/spdlog.h>

#include <q8/error.h>
#include <q8/models.h>

#include "fuzz_input_file.h"
#include "model.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    spdlog::set_level(spdlog::level::off);  // every rejected input would log a warning
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const q8fuzz::InputFile input(data, size);
    try {
        const auto model = q8::load_model(input.path());
        if (model->tokenizer.n_vocab() != model->config.n_vocab) __builtin_trap();
        if (static_cast<int64_t>(model->layers.size()) != model->config.n_layer) __builtin_trap();
        (void)model->weight_bytes();
        (void)model->weight_format_summary();
    } catch (const q8::EngineError&) {
    }
    return 0;
}
