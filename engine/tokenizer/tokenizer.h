#pragma once
// Text <-> token ids for GGUF vocabularies, matching the model's reference tokenizer (Hugging Face
// tokenizers, as llama.cpp reproduces it) id for id. Two families: SentencePiece-style BPE over
// scores ("llama") and byte-level BPE over ranked merges ("gpt2") with a regex pre-tokenizer.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vocab.h"

namespace q8 {

class GgufFile;

class Tokenizer {
public:
    explicit Tokenizer(Vocab vocab);  // finalizes the vocabulary; throws EngineError
    static Tokenizer from_gguf(const GgufFile& file);

    // add_special: BOS/EOS as the vocabulary's add_bos/add_eos flags say.
    // parse_special: text of control and unknown-type tokens (e.g. "<|im_start|>") becomes those
    // tokens; when false such text is tokenized as plain text. User-defined tokens are always
    // matched as whole tokens, as the reference tokenizers do.
    // Ill-formed UTF-8 never throws: its bytes are encoded as byte tokens where the vocabulary
    // has them (lossless); otherwise spm uses UNK and byte-level BPE leaves them out (with a
    // warning), because its UNK is usually the end-of-text token.
    std::vector<int32_t> encode(std::string_view text, bool add_special, bool parse_special) const;

    // The bytes a token stands for: "▁" becomes a space, <0xXX> its byte, byte-level BPE
    // characters their bytes. Control and unknown-type tokens give "" unless render_special.
    // An out-of-range id gives "".
    std::string token_to_piece(int32_t id, bool render_special = false) const;

    // Concatenated pieces. For a vocabulary that adds a space prefix, the space encode() added in
    // front of the text is removed again, so decode(encode(s)) == s for well-formed text.
    std::string decode(std::span<const int32_t> ids, bool render_special = false) const;

    const Vocab& vocab() const;
    int32_t n_vocab() const;

private:
    struct Impl;
    std::shared_ptr<const Impl> impl_;  // immutable after construction; copies share it
};

// Turns a stream of generated ids into text for display. push() returns only complete UTF-8
// characters; bytes of a character split across tokens are held until it is whole. Bytes that
// can never become a character are returned as U+FFFD at once. flush() returns what is held, an
// incomplete tail as U+FFFD. The Tokenizer must outlive this object.
class StreamingDetokenizer {
public:
    // strip_space_prefix: drop the leading space of the first piece, for decoding from the
    // start of an encoded text with a space-prefix vocabulary (not for continuations).
    explicit StreamingDetokenizer(const Tokenizer& tokenizer, bool render_special = false,
                                  bool strip_space_prefix = false);

    std::string push(int32_t id);
    std::string flush();

private:
    std::string take_complete(bool at_end);

    const Tokenizer* tok_;
    bool render_special_;
    bool strip_space_;
    std::string pending_;
};

}  // namespace q8
