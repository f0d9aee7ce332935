#pragma once
// A model's vocabulary as stored under tokenizer.ggml.* in a GGUF file: token texts, scores and
// types, BPE merges, special token ids and the flags that steer encoding. Loading validates
// everything the tokenizers rely on, so they can index without checks; errors name the key.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace q8 {

class GgufFile;

enum class VocabKind {
    spm,  // tokenizer.ggml.model = "llama": SentencePiece BPE over scores, byte fallback
    bpe,  // tokenizer.ggml.model = "gpt2": byte-level BPE over ranked merges
};

// Values of tokenizer.ggml.token_type (the numbering is fixed by the format).
enum class TokenType : uint8_t {
    undefined = 0,
    normal = 1,
    unknown = 2,
    control = 3,
    user_defined = 4,
    unused = 5,
    byte = 6,
};

inline constexpr int32_t kNoToken = -1;

struct Vocab {
    VocabKind kind = VocabKind::spm;
    std::vector<std::string> tokens;
    std::vector<float> scores;        // one per token; all 0 when the file has none
    std::vector<TokenType> types;     // one per token; all normal when the file has none
    std::vector<std::string> merges;  // "left right", rank = index (bpe only)
    std::string pre = "default";      // tokenizer.ggml.pre (bpe pre-tokenizer name)
    std::string name;                 // general.name; a few per-model rules key on it

    int32_t bos = kNoToken;
    int32_t eos = kNoToken;
    int32_t eot = kNoToken;  // end of turn, when the chat format has its own
    int32_t eom = kNoToken;  // end of message (tool calls)
    int32_t unk = kNoToken;
    int32_t pad = kNoToken;
    int32_t fim_pre = kNoToken;
    int32_t fim_suf = kNoToken;
    int32_t fim_mid = kNoToken;

    bool add_bos = true;
    bool add_eos = false;
    bool add_space_prefix = true;  // spm: prepend "▁" to text at the start or after a special token
    bool ignore_merges = false;    // bpe: a pre-token that is itself a token skips merging (llama3)

    // Tokens whose matched text swallows ASCII whitespace to its left/right (HF's lstrip/rstrip on
    // added tokens; GGUF does not store these, so they come from per-model rules). Sorted.
    std::vector<int32_t> lstrip_ids;
    std::vector<int32_t> rstrip_ids;

    // Tokens that end generation: EOS, EOT, EOM and tokens known by text (e.g. <|im_end|>). Sorted.
    std::vector<int32_t> eog_ids;

    // Reads and validates tokenizer.ggml.*; throws EngineError naming the file and the key.
    static Vocab from_gguf(const GgufFile& file);

    // Maps tokenizer.ggml.model to a kind; anything but "llama" and "gpt2" throws EngineError.
    static VocabKind kind_from_model(std::string_view model);

    // Validates the fields and derives what the file may leave out (EOT/FIM ids found by token
    // text, the EOG set, per-model strip rules). Idempotent; from_gguf and Tokenizer call it, and
    // code that builds a Vocab in memory may call it to get the same checks. `where` prefixes
    // error messages (a file path).
    void finalize(const std::string& where = "vocabulary");

    int32_t n_tokens() const { return static_cast<int32_t>(tokens.size()); }
    bool valid_id(int32_t id) const { return id >= 0 && id < n_tokens(); }
    TokenType type(int32_t id) const { return types[static_cast<size_t>(id)]; }
    bool is_control(int32_t id) const { return type(id) == TokenType::control; }
    bool is_eog(int32_t id) const;
    // Finds a token by its exact text (linear; for setup, not for encoding).
    int32_t find(std::string_view text) const;
};

}  // namespace q8
