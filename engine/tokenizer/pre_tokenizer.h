#pragma once
// Regex pre-tokenization for byte-level BPE: text is cut into pieces (words, number groups,
// punctuation runs, whitespace runs) and BPE merges never cross a piece boundary. Each named
// pre-tokenizer is the sequence of regex splits its Hugging Face tokenizer.json performs ("default"
// has no tokenizer.json: it is llama.cpp's own sequence), run with PCRE2 in Unicode mode.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace q8 {

enum class PreTokenizerKind {
    gpt2,          // GPT-2 ByteLevel regex (also mpt, olmo, phi-2, ...)
    ggml_default,  // llama.cpp's "default": punctuation runs, GPT-2, digit runs, groups of three
    llama3,        // Llama 3: case-insensitive contractions, \p{N}{1,3}
    qwen2,         // Llama 3's regex with single digits
    starcoder,     // digits isolated one by one, then GPT-2 (also refact, smollm, command-r)
    deepseek_coder,
    deepseek_llm,
    falcon,
    gpt4o,
};

class PreTokenizer {
public:
    // Picks the pre-tokenizer for a tokenizer.ggml.pre value. "default" (also what a file without
    // the key gets) is llama.cpp's fallback sequence, not GPT-2's regex: files that say "default"
    // are tokenized that way by llama.cpp, so matching it keeps our ids equal to theirs. An
    // unknown name logs a warning and falls back to the GPT-2 regex: llama.cpp refuses unknown
    // names, but a model with a new name should still load, and GPT-2's regex is right for the
    // many vocabularies derived from it.
    explicit PreTokenizer(std::string_view pre_name);
    explicit PreTokenizer(PreTokenizerKind kind);
    ~PreTokenizer();
    PreTokenizer(const PreTokenizer&) = delete;
    PreTokenizer& operator=(const PreTokenizer&) = delete;
    PreTokenizer(PreTokenizer&&) noexcept;
    PreTokenizer& operator=(PreTokenizer&&) noexcept;

    // Returns false when the name is not known (kind is then left alone).
    static bool lookup(std::string_view pre_name, PreTokenizerKind& kind);

    // The kind whose steps are exactly these Hugging Face tokenizer.json regexes (in the
    // tokenizers library's syntax, e.g. Split patterns and ByteLevel's own regex); false when
    // no kind has them.
    static bool match_regexes(const std::vector<std::string>& hf_regexes, PreTokenizerKind& kind);
    static std::string_view name(PreTokenizerKind kind);  // a name lookup() accepts
    static const std::string& byte_level_regex();         // ByteLevel's use_regex, HF syntax

    PreTokenizerKind kind() const { return kind_; }

    // Pieces in order; they cover `text` exactly (concatenating them gives `text` back). Ill-formed
    // UTF-8 is split as if each bad sequence were U+FFFD, but the pieces keep the original bytes,
    // so byte-level BPE stays lossless. Safe to call from several threads at once.
    std::vector<std::string_view> split(std::string_view text) const;

private:
    struct Step;
    PreTokenizerKind kind_;
    std::vector<std::unique_ptr<Step>> steps_;
};

}  // namespace q8
