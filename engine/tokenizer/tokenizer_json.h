#pragma once
// The vocabulary a Hugging Face tokenizer.json describes, as the GGUF path would read it from a
// converted file: a BPE model over bytes (ByteLevel pre-tokenizer: "gpt2" kind) or over
// SentencePiece pieces ("▁" normalizer or Metaspace, byte fallback: "llama" kind, its scores
// ranked from the merges), added tokens as control (special) or user-defined tokens, and the
// pre-tokenizer recognised from its regexes. tokenizer_config.json, when given, supplies the
// BOS/EOS tokens, the add_bos/add_eos flags and the chat template.
#include <string>

#include "vocab.h"

namespace q8 {

struct HfTokenizer {
    Vocab vocab;
    std::string chat_template;  // empty when tokenizer_config.json has none
};

// Throws EngineError naming the file and the field for anything missing, malformed or
// unsupported. `config_path` may be empty; `name` becomes the vocabulary's model name.
HfTokenizer read_hf_tokenizer(const std::string& tokenizer_path, const std::string& config_path,
                              const std::string& name);

}  // namespace q8
