#pragma once
// --prompt-arith: the arithmetic of products over several prompt tokens (engine/matmul.h).
// Generation defaults to bf16 (fastest); f32 keeps prompt logits within float rounding.
#include <CLI/CLI.hpp>

#include <string>

#include "matmul.h"

inline void add_prompt_arith_option(CLI::App* cmd, std::string& value) {
    cmd->add_option("--prompt-arith", value,
                    "Prompt products: bf16 (oneDNN, AVX512-BF16/AMX where the CPU has them, else f32) or f32")
        ->check(CLI::IsMember({"bf16", "f32"}))
        ->capture_default_str();
}

inline q8::BatchArithmetic prompt_arithmetic(const std::string& value) {
    return value == "f32" ? q8::BatchArithmetic::F32 : q8::BatchArithmetic::BF16;
}
