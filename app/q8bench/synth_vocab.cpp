#include "synth_vocab.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <string_view>
#include <vector>

#include <q8/error.h>

#include "gguf_reader.h"
#include "vocab.h"

namespace q8bench {

namespace {

constexpr std::string_view kTokens = "tokenizer.ggml.tokens";
constexpr std::string_view kScores = "tokenizer.ggml.scores";
constexpr std::string_view kTypes = "tokenizer.ggml.token_type";
// Padding must never win a SentencePiece merge, whatever its text happens to spell.
constexpr float kPadScore = -1000.f;

int32_t type_id(q8::TokenType t) { return static_cast<int32_t>(t); }

struct TokenArrays {
    std::vector<std::string> tokens;
    std::vector<float> scores;  // empty when the source has none
    std::vector<int32_t> types;
};

void pad_to(TokenArrays& a, int64_t n_vocab) {
    for (auto id = static_cast<int64_t>(a.tokens.size()); id < n_vocab; ++id) {
        a.tokens.push_back("[PAD" + std::to_string(id) + "]");
        if (!a.scores.empty()) a.scores.push_back(kPadScore);
        a.types.push_back(type_id(q8::TokenType::unused));
    }
}

void write_arrays(q8::quant::GgufWriter& w, const TokenArrays& a) {
    w.set_string_array(std::string(kTokens), a.tokens);
    if (!a.scores.empty()) w.set_f32_array(std::string(kScores), a.scores);
    w.set_i32_array(std::string(kTypes), a.types);
}

// <unk>, <s>, </s> and the 256 byte tokens: every text encodes (byte by byte) and decodes.
SynthVocab add_builtin(q8::quant::GgufWriter& w, int64_t n_vocab) {
    TokenArrays a;
    a.tokens = {"<unk>", "<s>", "</s>"};
    a.types = {type_id(q8::TokenType::unknown), type_id(q8::TokenType::control), type_id(q8::TokenType::control)};
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        a.tokens.emplace_back(name);
        a.types.push_back(type_id(q8::TokenType::byte));
    }
    a.scores.assign(a.tokens.size(), 0.f);
    const auto own = static_cast<int64_t>(a.tokens.size());
    if (n_vocab < own) {
        throw q8::EngineError("the shape's vocabulary (" + std::to_string(n_vocab) +
                              " tokens) is smaller than the built-in one (" + std::to_string(own) +
                              " tokens); pass --vocab");
    }
    pad_to(a, n_vocab);
    write_arrays(w, a);
    w.set_string("tokenizer.ggml.model", "llama");
    w.set_string("tokenizer.ggml.pre", "default");
    w.set_u32("tokenizer.ggml.unknown_token_id", 0);
    w.set_u32("tokenizer.ggml.bos_token_id", 1);
    w.set_u32("tokenizer.ggml.eos_token_id", 2);
    w.set_bool("tokenizer.ggml.add_bos_token", true);
    w.set_bool("tokenizer.ggml.add_eos_token", false);
    return {"built-in", own, n_vocab - own};
}

SynthVocab copy_vocab(q8::quant::GgufWriter& w, const std::string& path, int64_t n_vocab) {
    const q8::GgufFile f(path);
    if (!f.has(kTokens)) throw q8::EngineError(path + ": no '" + std::string(kTokens) + "', so it is not a vocabulary");
    // Refuse a vocabulary the engine would refuse, before minutes of generating weights.
    q8::Vocab::from_gguf(f);
    const std::span<const std::string_view> tokens = f.get_string_array(kTokens);
    const auto own = static_cast<int64_t>(tokens.size());
    if (own > n_vocab) {
        throw q8::EngineError(path + " has " + std::to_string(own) + " tokens but the shape's embedding table has " +
                              std::to_string(n_vocab) +
                              " rows; the engine needs one token per row, and dropping tokens would break the merges "
                              "and special ids that refer to them: choose a vocabulary of at most that size");
    }
    const bool pad = own < n_vocab;
    for (const std::string& key : f.keys()) {
        if (key.rfind("tokenizer.", 0) != 0) continue;
        if (pad && (key == kTokens || key == kScores || key == kTypes)) continue;
        w.copy_key(f, key);
    }
    if (pad) {
        TokenArrays a;
        a.tokens.assign(tokens.begin(), tokens.end());
        if (f.has(kScores)) a.scores = f.get_float_array(kScores);
        if (f.has(kTypes)) {
            for (int64_t t : f.get_int_array(kTypes)) a.types.push_back(static_cast<int32_t>(t));
        } else {
            a.types.assign(a.tokens.size(), type_id(q8::TokenType::normal));
        }
        pad_to(a, n_vocab);
        write_arrays(w, a);
        spdlog::info("{}: {} tokens, padded with {} unused tokens to the embedding table's {} rows", path, own,
                     n_vocab - own, n_vocab);
    }
    return {path, own, n_vocab - own};
}

}  // namespace

SynthVocab add_synth_vocab(q8::quant::GgufWriter& w, const std::string& vocab_path, int64_t n_vocab) {
    return vocab_path.empty() ? add_builtin(w, n_vocab) : copy_vocab(w, vocab_path, n_vocab);
}

}  // namespace q8bench
