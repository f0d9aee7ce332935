#include "vocab.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <optional>
#include <span>

#include <q8/error.h>

#include "gguf_reader.h"

namespace q8 {

namespace {

constexpr std::string_view kModelKey = "tokenizer.ggml.model";
constexpr std::string_view kTokensKey = "tokenizer.ggml.tokens";
constexpr std::string_view kScoresKey = "tokenizer.ggml.scores";
constexpr std::string_view kTypesKey = "tokenizer.ggml.token_type";
constexpr std::string_view kMergesKey = "tokenizer.ggml.merges";

// Each special id with the key it is read from (first) and an older spelling some converters
// still write (second, may be empty).
struct SpecialKey {
    int32_t Vocab::*field;
    std::string_view key;
    std::string_view old_key;
};

constexpr std::array kSpecialKeys = {
    SpecialKey{&Vocab::bos, "tokenizer.ggml.bos_token_id", ""},
    SpecialKey{&Vocab::eos, "tokenizer.ggml.eos_token_id", ""},
    SpecialKey{&Vocab::eot, "tokenizer.ggml.eot_token_id", ""},
    SpecialKey{&Vocab::eom, "tokenizer.ggml.eom_token_id", ""},
    SpecialKey{&Vocab::unk, "tokenizer.ggml.unknown_token_id", ""},
    SpecialKey{&Vocab::pad, "tokenizer.ggml.padding_token_id", ""},
    SpecialKey{&Vocab::fim_pre, "tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.prefix_token_id"},
    SpecialKey{&Vocab::fim_suf, "tokenizer.ggml.fim_suf_token_id", "tokenizer.ggml.suffix_token_id"},
    SpecialKey{&Vocab::fim_mid, "tokenizer.ggml.fim_mid_token_id", "tokenizer.ggml.middle_token_id"},
};

// Converters often leave EOT/EOM/FIM ids out although the vocabulary has the tokens; these are
// the texts llama.cpp recognises, in the order we prefer them when several are present.
struct TextRule {
    int32_t Vocab::*field;
    std::vector<std::string_view> texts;
};

const std::vector<TextRule>& text_rules() {
    static const std::vector<TextRule> rules = {
        {&Vocab::eot,
         {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>", "_<EOT>",
          "<\xEF\xBD\x9C"
          "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>"}},
        {&Vocab::eom, {"<|eom_id|>"}},
        {&Vocab::fim_pre,
         {"<|fim_prefix|>", "<fim_prefix>", "<fim-prefix>",
          "<\xEF\xBD\x9C"
          "fim\xE2\x96\x81"
          "begin\xEF\xBD\x9C>",
          "<PRE>", "\xE2\x96\x81<PRE>"}},
        {&Vocab::fim_suf,
         {"<|fim_suffix|>", "<fim_suffix>", "<fim-suffix>",
          "<\xEF\xBD\x9C"
          "fim\xE2\x96\x81hole\xEF\xBD\x9C>",
          "<SUF>", "\xE2\x96\x81<SUF>"}},
        {&Vocab::fim_mid,
         {"<|fim_middle|>", "<fim_middle>", "<fim-middle>",
          "<\xEF\xBD\x9C"
          "fim\xE2\x96\x81"
          "end\xEF\xBD\x9C>",
          "<MID>", "\xE2\x96\x81<MID>"}},
    };
    return rules;
}

// Tokens that end a turn in some chat format; generation stops on any of them even when the
// file names a different EOS.
constexpr std::array<std::string_view, 10> kEogTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
    "<|eom_id|>", "<EOT>",      "_<EOT>",  "<|return|>",    "<|call|>",
};

// Pre-tokenizer names whose HF BPE sets ignore_merges (llama.cpp keys it on the same names).
constexpr std::array<std::string_view, 4> kIgnoreMergesPre = {"llama3", "llama-v3", "llama-bpe", "falcon3"};

bool contains(std::span<const std::string_view> list, std::string_view s) {
    return std::find(list.begin(), list.end(), s) != list.end();
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string_view key_of(int32_t Vocab::*field) {
    for (const auto& k : kSpecialKeys) {
        if (k.field == field) return k.key;
    }
    return "?";
}

void insert_sorted(std::vector<int32_t>& v, int32_t id) {
    const auto it = std::lower_bound(v.begin(), v.end(), id);
    if (it == v.end() || *it != id) v.insert(it, id);
}

void erase_sorted(std::vector<int32_t>& v, int32_t id) {
    const auto it = std::lower_bound(v.begin(), v.end(), id);
    if (it != v.end() && *it == id) v.erase(it);
}

// HF's Phi-3 tokenizer.json marks its chat tokens rstrip (so "<|user|>\n" swallows the newline);
// llama.cpp restores that from the model name, and so do we.
void apply_strip_rules(Vocab& v) {
    const std::string name = lower(v.name);
    if (name.find("phi-3") == std::string::npos && name.find("phi3") == std::string::npos) {
        return;
    }
    for (int32_t id = 0; id < v.n_tokens(); ++id) {
        const TokenType t = v.type(id);
        if (t == TokenType::control || t == TokenType::user_defined || t == TokenType::unknown) {
            insert_sorted(v.rstrip_ids, id);
        }
    }
    if (const int32_t id = v.find("</s>"); id != kNoToken) insert_sorted(v.rstrip_ids, id);
    for (std::string_view keep : {"<unk>", "<s>", "<|endoftext|>"}) {
        if (const int32_t id = v.find(keep); id != kNoToken) erase_sorted(v.rstrip_ids, id);
    }
}

[[noreturn]] void fail(const std::string& where, const std::string& what) { throw EngineError(where + ": " + what); }

// Token texts, scores and types must line up one per token; absent scores and types get defaults.
void check_arrays(Vocab& v, const std::string& where) {
    if (v.tokens.empty()) {
        fail(where, "metadata '" + std::string(kTokensKey) + "' is empty: the vocabulary has no tokens");
    }
    if (v.tokens.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
        fail(where, "metadata '" + std::string(kTokensKey) + "' has too many tokens");
    }
    const std::string n = std::to_string(v.tokens.size());
    if (v.scores.empty()) v.scores.assign(v.tokens.size(), 0.0f);
    if (v.scores.size() != v.tokens.size()) {
        fail(where, "metadata '" + std::string(kScoresKey) + "' has " + std::to_string(v.scores.size()) +
                        " entries but '" + std::string(kTokensKey) + "' has " + n);
    }
    if (v.types.empty()) v.types.assign(v.tokens.size(), TokenType::normal);
    if (v.types.size() != v.tokens.size()) {
        fail(where, "metadata '" + std::string(kTypesKey) + "' has " + std::to_string(v.types.size()) +
                        " entries but '" + std::string(kTokensKey) + "' has " + n);
    }
    for (size_t i = 0; i < v.types.size(); ++i) {
        if (static_cast<uint8_t>(v.types[i]) > static_cast<uint8_t>(TokenType::byte)) {
            fail(where,
                 "metadata '" + std::string(kTypesKey) + "'[" + std::to_string(i) + "] is not a token type (0..6)");
        }
    }
}

void check_merges(const Vocab& v, const std::string& where) {
    if (v.kind != VocabKind::bpe) return;
    for (size_t i = 0; i < v.merges.size(); ++i) {
        const std::string& m = v.merges[i];
        // The left part may itself be a single space, so the separator is searched from 1.
        const size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
        if (sp == std::string::npos || sp + 1 >= m.size()) {
            fail(where, "metadata '" + std::string(kMergesKey) + "'[" + std::to_string(i) + "] ('" + m +
                            "') is not two tokens separated by a space");
        }
    }
}

void check_special_ids(const Vocab& v, const std::string& where) {
    for (const auto& k : kSpecialKeys) {
        const int32_t id = v.*k.field;
        if (id != kNoToken && !v.valid_id(id)) {
            fail(where, "metadata '" + std::string(k.key) + "' is " + std::to_string(id) + " but the vocabulary has " +
                            std::to_string(v.tokens.size()) + " tokens");
        }
    }
    for (const auto* list : {&v.lstrip_ids, &v.rstrip_ids, &v.eog_ids}) {
        for (int32_t id : *list) {
            if (!v.valid_id(id)) fail(where, "special token id " + std::to_string(id) + " is out of range");
        }
    }
}

void find_special_tokens_by_text(Vocab& v, const std::string& where) {
    for (const auto& rule : text_rules()) {
        if (v.*rule.field != kNoToken) continue;
        for (std::string_view text : rule.texts) {
            const int32_t id = v.find(text);
            if (id == kNoToken) continue;
            v.*rule.field = id;
            spdlog::debug("{}: '{}' taken as {} (id {})", where, text, key_of(rule.field), id);
            break;
        }
    }
}

// Control-looking end tokens stored as normal would otherwise be printed and matched as text;
// llama.cpp overrides their type the same way.
void force_control(Vocab& v, int32_t id, const std::string& where) {
    TokenType& type = v.types[static_cast<size_t>(id)];
    if (type == TokenType::control) return;
    spdlog::warn("{}: token {} '{}' ends generation but is not a control token; treating it as one", where, id,
                 v.tokens[static_cast<size_t>(id)]);
    type = TokenType::control;
}

void collect_end_of_generation(Vocab& v, const std::string& where) {
    for (int32_t id : {v.eot, v.eom}) {
        if (id != kNoToken) {
            force_control(v, id, where);
            insert_sorted(v.eog_ids, id);
        }
    }
    if (v.eos != kNoToken) insert_sorted(v.eog_ids, v.eos);
    for (std::string_view text : kEogTexts) {
        const int32_t id = v.find(text);
        if (id == kNoToken) continue;
        force_control(v, id, where);
        insert_sorted(v.eog_ids, id);
    }
}

// A flag asking for a token the vocabulary lacks cannot be honoured; dropping it keeps the model
// usable, which is what the user wants from a mis-converted file.
void drop_unusable_add_flags(Vocab& v, const std::string& where) {
    if (v.add_bos && v.bos == kNoToken) {
        spdlog::warn("{}: tokenizer.ggml.add_bos_token is set but there is no BOS token; not adding one", where);
        v.add_bos = false;
    }
    if (v.add_eos && v.eos == kNoToken) {
        spdlog::warn("{}: tokenizer.ggml.add_eos_token is set but there is no EOS token; not adding one", where);
        v.add_eos = false;
    }
}

}  // namespace

VocabKind Vocab::kind_from_model(std::string_view model) {
    if (model == "llama") return VocabKind::spm;
    if (model == "gpt2") return VocabKind::bpe;
    throw EngineError("metadata '" + std::string(kModelKey) + "' is '" + std::string(model) +
                      "': unsupported tokenizer model (supported: 'llama' for SentencePiece, "
                      "'gpt2' for byte-level BPE)");
}

Vocab Vocab::from_gguf(const GgufFile& file) {
    Vocab v;
    const std::string model = file.get_string(kModelKey);
    try {
        v.kind = kind_from_model(model);
    } catch (const EngineError& e) {
        throw EngineError(file.path() + ": " + e.what());
    }

    const auto tokens = file.get_string_array(kTokensKey);
    v.tokens.assign(tokens.begin(), tokens.end());
    if (file.has(kScoresKey)) v.scores = file.get_float_array(kScoresKey);
    if (file.has(kTypesKey)) {
        const std::vector<int64_t> raw = file.get_int_array(kTypesKey);
        v.types.reserve(raw.size());
        for (size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] < 0 || raw[i] > static_cast<int64_t>(TokenType::byte)) {
                throw EngineError(file.path() + ": metadata '" + std::string(kTypesKey) + "'[" + std::to_string(i) +
                                  "] is " + std::to_string(raw[i]) + ", not a token type (0..6)");
            }
            v.types.push_back(static_cast<TokenType>(raw[i]));
        }
    }
    if (v.kind == VocabKind::bpe) {
        const auto merges = file.get_string_array(kMergesKey);
        v.merges.assign(merges.begin(), merges.end());
    }
    v.pre = file.opt_string("tokenizer.ggml.pre").value_or("default");
    v.name = file.opt_string("general.name").value_or("");

    // SentencePiece's fixed layout; a BPE vocabulary has no such convention.
    if (v.kind == VocabKind::spm) {
        v.unk = 0;
        v.bos = 1;
        v.eos = 2;
    }
    for (const auto& k : kSpecialKeys) {
        std::optional<int64_t> id = file.opt_int(k.key);
        if (!id && !k.old_key.empty()) id = file.opt_int(k.old_key);
        if (!id) continue;
        // A negative id is how some converters write "none".
        if (*id < 0) {
            v.*k.field = kNoToken;
            continue;
        }
        if (*id >= static_cast<int64_t>(v.tokens.size())) {
            throw EngineError(file.path() + ": metadata '" + std::string(k.key) + "' is " + std::to_string(*id) +
                              " but the vocabulary has " + std::to_string(v.tokens.size()) + " tokens");
        }
        v.*k.field = static_cast<int32_t>(*id);
    }
    // The spm defaults above may not exist in a small vocabulary.
    for (int32_t Vocab::*f : {&Vocab::unk, &Vocab::bos, &Vocab::eos}) {
        if (v.*f >= static_cast<int32_t>(v.tokens.size())) v.*f = kNoToken;
    }

    const bool llama3_family = v.kind == VocabKind::bpe && contains(kIgnoreMergesPre, v.pre);
    v.ignore_merges = llama3_family;
    // llama.cpp's defaults: SentencePiece adds BOS, byte-level BPE does not, except the Llama 3
    // family whose older conversions lack the flag.
    v.add_bos = file.opt_bool("tokenizer.ggml.add_bos_token").value_or(v.kind == VocabKind::spm || llama3_family);
    v.add_eos = file.opt_bool("tokenizer.ggml.add_eos_token").value_or(false);
    v.add_space_prefix = file.opt_bool("tokenizer.ggml.add_space_prefix").value_or(v.kind == VocabKind::spm);

    if (v.types.empty()) v.types.assign(v.tokens.size(), TokenType::normal);
    if (v.types.size() == v.tokens.size()) apply_strip_rules(v);

    v.finalize(file.path());
    return v;
}

void Vocab::finalize(const std::string& where) {
    check_arrays(*this, where);
    check_merges(*this, where);
    check_special_ids(*this, where);
    find_special_tokens_by_text(*this, where);
    collect_end_of_generation(*this, where);
    drop_unusable_add_flags(*this, where);
}

bool Vocab::is_eog(int32_t id) const {
    return id != kNoToken && std::binary_search(eog_ids.begin(), eog_ids.end(), id);
}

int32_t Vocab::find(std::string_view text) const {
    for (size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i] == text) return static_cast<int32_t>(i);
    }
    return kNoToken;
}

}  // namespace q8
