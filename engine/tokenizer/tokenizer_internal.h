#pragma once
// Pieces shared by tokenizer.cpp (dispatch, special tokens), tokenizer_spm.cpp and
// tokenizer_bpe.cpp. Not part of the engine's API.
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pre_tokenizer.h"
#include "vocab.h"

namespace q8::detail {

struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Token text -> id, searchable with a string_view (no allocation per lookup). When a text occurs
// twice the lower id wins.
using TokenMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

TokenMap build_token_map(const Vocab& vocab);

inline int32_t lookup(const TokenMap& map, std::string_view text) {
    const auto it = map.find(text);
    return it == map.end() ? kNoToken : it->second;
}

// SentencePiece-style BPE: the text's characters are merged pairwise, always taking the adjacent
// pair whose merged text is the highest-scoring token (leftmost on ties), until no pair forms a
// token; characters left without a token fall back to <0xXX> byte tokens, else to UNK.
class SpmModel {
public:
    SpmModel(const Vocab& vocab, const TokenMap& map);

    // `text` has spaces already replaced by "▁" (and the prefix added when due).
    void encode(std::string_view text, std::vector<int32_t>& out) const;
    std::string piece(int32_t id) const;  // normal/byte tokens only

private:
    bool usable(int32_t id) const;

    const Vocab& vocab_;
    const TokenMap& map_;
    std::array<int32_t, 256> byte_ids_{};  // <0xXX> tokens, or kNoToken
};

// Byte-level BPE: pre-tokenized pieces are turned into GPT-2's printable byte alphabet and merged
// by merge rank (lowest first, leftmost on ties), never across pieces.
class BpeModel {
public:
    BpeModel(const Vocab& vocab, const TokenMap& map);

    void encode(std::string_view text, std::vector<int32_t>& out) const;
    std::string piece(int32_t id) const;  // normal tokens: byte alphabet decoded to raw bytes

private:
    size_t encode_piece(std::string_view piece, std::vector<int32_t>& out) const;  // bytes dropped

    struct Merge {
        int32_t rank;
        int32_t result;
    };
    static uint64_t pair_key(int32_t a, int32_t b) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
    }

    const Vocab& vocab_;
    const TokenMap& map_;
    PreTokenizer pre_;
    std::array<int32_t, 256> byte_ids_{};      // token of each byte's alphabet character
    std::array<std::string, 256> byte_chars_;  // the alphabet character of each byte, UTF-8
    std::unordered_map<uint64_t, Merge> merges_;
};

}  // namespace q8::detail
