// Dump the engine's logits for a fixed token list: the C++ half of tools/compare_logits.py.
//
// Why it exists: to check an exported demo model against PyTorch before a test does it. Built with
// the project as build/release/tools/engine_logits:
//
//   build/release/tools/engine_logits MODEL.gguf OUT.f32 [--kv f32|f16] [--threads N] ID ID ID ...
//
// Writes little-endian float32 logits, row-major [n_tokens][n_vocab] (all positions of one
// batched evaluation).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "inference_session.h"
#include "model.h"

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s MODEL.gguf OUT.f32 [--kv f32|f16] [--threads N] ID...\n", argv[0]);
        return 2;
    }
    spdlog::set_level(spdlog::level::warn);
    q8::SessionOptions so;
    so.kv_type = q8::KvType::F32;
    std::vector<int32_t> ids;
    for (int i = 3; i < argc; ++i) {
        if (std::strcmp(argv[i], "--kv") == 0 && i + 1 < argc) {
            so.kv_type = std::strcmp(argv[++i], "f16") == 0 ? q8::KvType::F16 : q8::KvType::F32;
        } else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            so.n_threads = std::atoi(argv[++i]);
        } else {
            ids.push_back(static_cast<int32_t>(std::atol(argv[i])));
        }
    }
    try {
        const auto model = q8::load_model(argv[1]);
        q8::InferenceSession s(model, so);
        s.eval(ids, true);
        const size_t nv = static_cast<size_t>(model->config.n_vocab);
        std::ofstream out(argv[2], std::ios::binary);
        for (size_t t = 0; t < ids.size(); ++t) {
            const auto row = s.logits_row(t);
            out.write(reinterpret_cast<const char*>(row.data()), static_cast<std::streamsize>(nv * sizeof(float)));
        }
        if (!out) {
            std::fprintf(stderr, "cannot write %s\n", argv[2]);
            return 1;
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
