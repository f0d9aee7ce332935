#include "tokenizer_internal.h"

#include <algorithm>
#include <cstdio>
#include <queue>

#include "utf8.h"

namespace q8::detail {

namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581 "▁"

struct Symbol {
    size_t start;  // into the text; merged symbols stay contiguous
    size_t len;    // 0 once merged into its left neighbour
    int prev;
    int next;
};

struct Bigram {
    float score;
    int left;
    int right;
    size_t len;  // merged length when queued; stale if the symbols changed since
};

struct BigramOrder {
    bool operator()(const Bigram& a, const Bigram& b) const {
        return a.score < b.score || (a.score == b.score && a.left > b.left);
    }
};

}  // namespace

SpmModel::SpmModel(const Vocab& vocab, const TokenMap& map) : vocab_(vocab), map_(map) {
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        byte_ids_[static_cast<size_t>(b)] = lookup(map_, name);
    }
}

// SentencePiece builds pieces only from normal and user-defined entries; control, byte, unknown
// and unused entries must not appear just because their text happens to be spelled out.
bool SpmModel::usable(int32_t id) const {
    if (id == kNoToken) return false;
    const TokenType t = vocab_.type(id);
    return t == TokenType::normal || t == TokenType::user_defined || t == TokenType::undefined;
}

void SpmModel::encode(std::string_view text, std::vector<int32_t>& out) const {
    if (text.empty()) return;

    std::vector<Symbol> syms;
    syms.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        // A byte that starts no well-formed character stands alone and ends up as its byte token.
        const size_t n = std::max<size_t>(1, utf8::char_len(text, pos));
        const int idx = static_cast<int>(syms.size());
        syms.push_back({pos, n, idx - 1, pos + n < text.size() ? idx + 1 : -1});
        pos += n;
    }

    std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
    auto try_add = [&](int left, int right) {
        if (left < 0 || right < 0) return;
        const size_t len = syms[left].len + syms[right].len;
        const int32_t id = lookup(map_, text.substr(syms[left].start, len));
        if (!usable(id)) return;
        queue.push({vocab_.scores[static_cast<size_t>(id)], left, right, len});
    };
    for (int i = 1; i < static_cast<int>(syms.size()); ++i) try_add(i - 1, i);

    while (!queue.empty()) {
        const Bigram bg = queue.top();
        queue.pop();
        Symbol& l = syms[bg.left];
        Symbol& r = syms[bg.right];
        // Either side merged elsewhere since this pair was queued: it no longer exists.
        if (l.len == 0 || r.len == 0 || l.len + r.len != bg.len) continue;
        l.len += r.len;
        r.len = 0;
        l.next = r.next;
        if (r.next >= 0) syms[r.next].prev = bg.left;
        try_add(l.prev, bg.left);
        try_add(bg.left, l.next);
    }

    for (int i = 0; i >= 0; i = syms[i].next) {
        const std::string_view s = text.substr(syms[i].start, syms[i].len);
        const int32_t id = lookup(map_, s);
        if (usable(id)) {
            out.push_back(id);
            continue;
        }
        // Byte fallback: every byte of the character as <0xXX>. A vocabulary without byte tokens
        // gets one UNK for the character, as SentencePiece does.
        bool all_bytes = true;
        for (char c : s) all_bytes = all_bytes && byte_ids_[static_cast<uint8_t>(c)] != kNoToken;
        if (all_bytes) {
            for (char c : s) out.push_back(byte_ids_[static_cast<uint8_t>(c)]);
        } else if (vocab_.unk != kNoToken) {
            out.push_back(vocab_.unk);
        }
    }
}

std::string SpmModel::piece(int32_t id) const {
    const std::string& text = vocab_.tokens[static_cast<size_t>(id)];
    if (vocab_.type(id) == TokenType::byte) {
        // "<0xXX>"; anything else typed as a byte is shown as its text.
        unsigned v = 0;
        if (text.size() == 6 && std::sscanf(text.c_str(), "<0x%2X>", &v) == 1) {
            return std::string(1, static_cast<char>(v));
        }
        return text;
    }
    std::string out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
        if (text.compare(pos, kSpaceMark.size(), kSpaceMark) == 0) {
            out += ' ';
            pos += kSpaceMark.size();
        } else {
            out += text[pos++];
        }
    }
    return out;
}

}  // namespace q8::detail
