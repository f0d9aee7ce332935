#include "tokenizer_internal.h"

#include <spdlog/spdlog.h>

#include <queue>

#include "utf8.h"

namespace q8::detail {

namespace {

// GPT-2's byte alphabet: printable Latin-1 bytes stand for themselves, the other 68 bytes
// (controls, space, DEL, NBSP, soft hyphen) take code points from U+0100 upward in byte order,
// so every byte has a visible character and vocabulary files stay plain text.
std::array<char32_t, 256> make_byte_alphabet() {
    std::array<char32_t, 256> map{};
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        map[static_cast<size_t>(b)] = printable ? static_cast<char32_t>(b) : next++;
    }
    return map;
}

const std::array<char32_t, 256>& byte_alphabet() {
    static const auto map = make_byte_alphabet();
    return map;
}

// Inverse of the alphabet; all its code points are below U+0144.
const std::array<int16_t, 0x144>& alphabet_bytes() {
    static const auto inv = [] {
        std::array<int16_t, 0x144> a{};
        a.fill(-1);
        for (int b = 0; b < 256; ++b) a[byte_alphabet()[static_cast<size_t>(b)]] = static_cast<int16_t>(b);
        return a;
    }();
    return inv;
}

struct Symbol {
    int32_t id;
    int prev;
    int next;
};

struct Candidate {
    int32_t rank;
    int pos;  // left symbol
    int32_t left_id;
    int32_t right_id;
    int32_t result;
};

struct CandidateOrder {
    bool operator()(const Candidate& a, const Candidate& b) const {
        return a.rank > b.rank || (a.rank == b.rank && a.pos > b.pos);
    }
};

}  // namespace

BpeModel::BpeModel(const Vocab& vocab, const TokenMap& map) : vocab_(vocab), map_(map), pre_(vocab.pre) {
    for (size_t b = 0; b < 256; ++b) {
        byte_chars_[b].clear();
        utf8::append(byte_chars_[b], byte_alphabet()[b]);
        byte_ids_[b] = lookup(map_, byte_chars_[b]);
    }

    // Merges work on ids: a rule whose parts or result are not tokens could never produce a
    // token (Hugging Face refuses such files), so it is dropped here.
    merges_.reserve(vocab.merges.size());
    size_t dropped = 0;
    std::string joined;
    for (size_t rank = 0; rank < vocab.merges.size(); ++rank) {
        const std::string& m = vocab.merges[rank];
        const size_t sp = m.find(' ', 1);
        const std::string_view left = std::string_view(m).substr(0, sp);
        const std::string_view right = std::string_view(m).substr(sp + 1);
        joined.assign(left).append(right);
        const int32_t a = lookup(map_, left);
        const int32_t b = lookup(map_, right);
        const int32_t r = lookup(map_, joined);
        if (a == kNoToken || b == kNoToken || r == kNoToken) {
            ++dropped;
            continue;
        }
        // The first (lowest-ranked) rule for a pair wins.
        merges_.try_emplace(pair_key(a, b), Merge{static_cast<int32_t>(rank), r});
    }
    if (dropped > 0) {
        spdlog::warn(
            "tokenizer: {} of {} BPE merges name text that is not in the vocabulary; "
            "ignored",
            dropped, vocab.merges.size());
    }
}

void BpeModel::encode(std::string_view text, std::vector<int32_t>& out) const {
    size_t dropped = 0;
    for (std::string_view piece : pre_.split(text)) dropped += encode_piece(piece, out);
    if (dropped > 0) {
        spdlog::warn(
            "tokenizer: left out {} byte(s) of ill-formed text that this vocabulary has "
            "no token for",
            dropped);
    }
}

size_t BpeModel::encode_piece(std::string_view piece, std::vector<int32_t>& out) const {
    if (vocab_.ignore_merges) {
        std::string mapped;
        mapped.reserve(piece.size() * 2);
        for (char c : piece) mapped += byte_chars_[static_cast<uint8_t>(c)];
        if (const int32_t id = lookup(map_, mapped); id != kNoToken) {
            out.push_back(id);
            return 0;
        }
    }

    std::vector<Symbol> syms;
    syms.reserve(piece.size());
    for (size_t i = 0; i < piece.size(); ++i) {
        const int32_t id = byte_ids_[static_cast<uint8_t>(piece[i])];
        const int idx = static_cast<int>(syms.size());
        syms.push_back({id, idx - 1, i + 1 < piece.size() ? idx + 1 : -1});
    }

    std::priority_queue<Candidate, std::vector<Candidate>, CandidateOrder> queue;
    auto try_add = [&](int left, int right) {
        if (left < 0 || right < 0) return;
        const int32_t a = syms[left].id, b = syms[right].id;
        if (a == kNoToken || b == kNoToken) return;
        const auto it = merges_.find(pair_key(a, b));
        if (it == merges_.end()) return;
        queue.push({it->second.rank, left, a, b, it->second.result});
    };
    for (int i = 1; i < static_cast<int>(syms.size()); ++i) try_add(i - 1, i);

    while (!queue.empty()) {
        const Candidate c = queue.top();
        queue.pop();
        Symbol& l = syms[c.pos];
        // Stale when the left symbol changed or died, or its right neighbour is no longer the
        // symbol the pair was formed with (ids identify the content).
        if (l.id != c.left_id || l.next < 0 || syms[l.next].id != c.right_id) continue;
        const int r = l.next;
        l.id = c.result;
        l.next = syms[r].next;
        if (l.next >= 0) syms[l.next].prev = c.pos;
        syms[r].id = kNoToken;
        syms[r].prev = syms[r].next = -1;
        try_add(l.prev, c.pos);
        try_add(c.pos, l.next);
    }

    // A byte whose alphabet character is not a token stays an id-less symbol. Some vocabularies
    // (StarCoder) lack some bytes, including 0xF1, which does occur in UTF-8 (characters from
    // U+40000); their UNK is <|endoftext|>, so emitting it would end the text. Such bytes are
    // left out, as llama.cpp does, and that text cannot come back from decoding.
    size_t dropped = 0;
    for (int i = 0; i >= 0 && !syms.empty(); i = syms[i].next) {
        if (syms[i].id != kNoToken) {
            out.push_back(syms[i].id);
        } else {
            ++dropped;
        }
    }
    return dropped;
}

std::string BpeModel::piece(int32_t id) const {
    const std::string& text = vocab_.tokens[static_cast<size_t>(id)];
    std::string out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        const size_t n = utf8::char_len(text, pos);
        if (n == 0) {
            out += text[pos++];
            continue;
        }
        const char32_t cp = utf8::decode(text, pos);
        const int16_t b = cp < alphabet_bytes().size() ? alphabet_bytes()[cp] : int16_t{-1};
        if (b >= 0) {
            out += static_cast<char>(b);
        } else {
            // Not in the byte alphabet (hand-added tokens): the text is meant literally.
            out.append(text, pos, n);
        }
        pos += n;
    }
    return out;
}

}  // namespace q8::detail
