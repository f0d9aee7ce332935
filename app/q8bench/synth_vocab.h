#pragma once
// The tokenizer of a synthetic model: copied from a vocabulary-only GGUF, or a minimal built-in
// SentencePiece vocabulary (byte fallback only). The loader requires exactly one token per row of
// the embedding table, so a smaller vocabulary is padded with unused "[PAD<id>]" tokens (as
// converters pad real models whose table is larger than their tokenizer); a larger one is refused,
// because dropping tokens would break the merges and special ids that refer to them.
#include <cstdint>
#include <string>

#include "gguf_writer.h"

namespace q8bench {

struct SynthVocab {
    std::string source;   // the vocabulary file, or "built-in"
    int64_t tokens = 0;   // tokens it brought
    int64_t padding = 0;  // unused tokens added to reach the embedding rows
};

// Adds the tokenizer.* keys for n_vocab tokens; vocab_path empty = the built-in vocabulary.
// Throws EngineError (before any weight is generated) when the vocabulary cannot be used.
SynthVocab add_synth_vocab(q8::quant::GgufWriter& w, const std::string& vocab_path, int64_t n_vocab);

}  // namespace q8bench
