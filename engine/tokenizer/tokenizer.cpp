#include "tokenizer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "gguf_reader.h"
#include "tokenizer_internal.h"
#include "utf8.h"

namespace q8 {

namespace detail {

TokenMap build_token_map(const Vocab& vocab) {
    TokenMap map;
    map.reserve(vocab.tokens.size());
    size_t duplicates = 0;
    for (int32_t id = 0; id < vocab.n_tokens(); ++id) {
        const std::string& t = vocab.tokens[static_cast<size_t>(id)];
        // An empty token can never be produced from text; it only decodes.
        if (t.empty()) continue;
        if (!map.try_emplace(t, id).second) ++duplicates;
    }
    if (duplicates > 0) {
        spdlog::warn("tokenizer: {} token texts occur more than once; the lowest id is used", duplicates);
    }
    return map;
}

}  // namespace detail

namespace {

// Finds special-token text in a string: at each position the longest candidate wins, and the
// leftmost position wins over a longer match further right (Hugging Face's added-token
// splitting; llama.cpp gives the same result for real vocabularies).
class SpecialMatcher {
public:
    SpecialMatcher(const Vocab& vocab, bool include_control) : vocab_(vocab) {
        for (int32_t id = 0; id < vocab.n_tokens(); ++id) {
            const TokenType t = vocab.type(id);
            const bool special = t == TokenType::user_defined ||
                                 (include_control && (t == TokenType::control || t == TokenType::unknown));
            const std::string& text = vocab.tokens[static_cast<size_t>(id)];
            if (!special || text.empty()) continue;
            by_first_[static_cast<uint8_t>(text[0])].push_back(id);
            any_ = true;
        }
        for (auto& bucket : by_first_) {
            std::stable_sort(bucket.begin(), bucket.end(), [&](int32_t a, int32_t b) {
                return vocab.tokens[static_cast<size_t>(a)].size() > vocab.tokens[static_cast<size_t>(b)].size();
            });
        }
    }

    bool empty() const { return !any_; }

    struct Match {
        size_t pos;
        size_t len;
        int32_t id;
    };

    std::optional<Match> find(std::string_view text, size_t from) const {
        for (size_t pos = from; pos < text.size(); ++pos) {
            const auto& bucket = by_first_[static_cast<uint8_t>(text[pos])];
            for (int32_t id : bucket) {
                const std::string& t = vocab_.tokens[static_cast<size_t>(id)];
                if (text.compare(pos, t.size(), t) == 0) return Match{pos, t.size(), id};
            }
        }
        return std::nullopt;
    }

private:
    const Vocab& vocab_;
    std::array<std::vector<int32_t>, 256> by_first_;
    bool any_ = false;
};

// Raw text still to be tokenized, or a token already decided.
struct Fragment {
    std::string_view text;
    int32_t token = kNoToken;
};

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

}  // namespace

struct Tokenizer::Impl {
    Vocab vocab;
    detail::TokenMap map;
    std::optional<detail::SpmModel> spm;
    std::optional<detail::BpeModel> bpe;
    std::optional<SpecialMatcher> user_defined;  // always split out
    std::optional<SpecialMatcher> all_special;   // with parse_special

    explicit Impl(Vocab v) : vocab(std::move(v)) {
        vocab.finalize();
        map = detail::build_token_map(vocab);
        if (vocab.kind == VocabKind::spm) {
            spm.emplace(vocab, map);
        } else {
            bpe.emplace(vocab, map);
        }
        user_defined.emplace(vocab, false);
        all_special.emplace(vocab, true);
    }
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    bool strips(const std::vector<int32_t>& ids, int32_t id) const {
        return std::binary_search(ids.begin(), ids.end(), id);
    }

    std::vector<Fragment> partition(std::string_view text, bool parse_special) const {
        std::vector<Fragment> out;
        const SpecialMatcher& m = parse_special ? *all_special : *user_defined;
        if (m.empty()) {
            out.push_back({text});
            return out;
        }
        size_t pos = 0;
        while (pos < text.size()) {
            const auto match = m.find(text, pos);
            if (!match) break;
            size_t left_end = match->pos;
            if (strips(vocab.lstrip_ids, match->id)) {
                while (left_end > pos && is_ascii_space(text[left_end - 1])) --left_end;
            }
            if (left_end > pos) out.push_back({text.substr(pos, left_end - pos)});
            out.push_back({{}, match->id});
            pos = match->pos + match->len;
            if (strips(vocab.rstrip_ids, match->id)) {
                while (pos < text.size() && is_ascii_space(text[pos])) ++pos;
            }
        }
        if (pos < text.size()) out.push_back({text.substr(pos)});
        return out;
    }
};

Tokenizer::Tokenizer(Vocab vocab) : impl_(std::make_shared<const Impl>(std::move(vocab))) {}

Tokenizer Tokenizer::from_gguf(const GgufFile& file) { return Tokenizer(Vocab::from_gguf(file)); }

const Vocab& Tokenizer::vocab() const { return impl_->vocab; }

int32_t Tokenizer::n_vocab() const { return impl_->vocab.n_tokens(); }

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
    const Impl& im = *impl_;
    const Vocab& v = im.vocab;
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 4);
    if (add_special && v.add_bos) out.push_back(v.bos);

    // Matches the reference tokenizers: "" gives no tokens at all (not even a space prefix).
    const std::vector<Fragment> fragments = text.empty() ? std::vector<Fragment>{} : im.partition(text, parse_special);

    if (im.spm) {
        // SentencePiece sees a space in front of the text, and again after each special token,
        // because that is how its training data looked.
        bool after_special = true;
        std::string buf;
        for (const Fragment& f : fragments) {
            if (f.token != kNoToken) {
                out.push_back(f.token);
                after_special = true;
                continue;
            }
            buf.clear();
            if (v.add_space_prefix && after_special) buf += "\xE2\x96\x81";
            for (char c : f.text) {
                if (c == ' ') {
                    buf += "\xE2\x96\x81";
                } else {
                    buf += c;
                }
            }
            im.spm->encode(buf, out);
            after_special = false;
        }
    } else {
        for (const Fragment& f : fragments) {
            if (f.token != kNoToken) {
                out.push_back(f.token);
            } else {
                im.bpe->encode(f.text, out);
            }
        }
    }

    if (add_special && v.add_eos) out.push_back(v.eos);
    return out;
}

std::string Tokenizer::token_to_piece(int32_t id, bool render_special) const {
    const Impl& im = *impl_;
    const Vocab& v = im.vocab;
    if (!v.valid_id(id)) return {};
    switch (v.type(id)) {
    case TokenType::control:
    case TokenType::unknown: return render_special ? v.tokens[static_cast<size_t>(id)] : std::string();
    case TokenType::user_defined:
        // Added by the model's authors as literal text, outside the byte alphabet.
        return v.tokens[static_cast<size_t>(id)];
    default: return im.spm ? im.spm->piece(id) : im.bpe->piece(id);
    }
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool render_special) const {
    std::string out;
    bool at_start = true;
    for (int32_t id : ids) {
        std::string p = token_to_piece(id, render_special);
        if (p.empty()) continue;
        // The reference decoder strips the one space SentencePiece put in front of the text.
        if (at_start && vocab().add_space_prefix && p[0] == ' ') p.erase(0, 1);
        at_start = false;
        out += p;
    }
    return out;
}

StreamingDetokenizer::StreamingDetokenizer(const Tokenizer& tokenizer, bool render_special, bool strip_space_prefix)
    : tok_(&tokenizer),
      render_special_(render_special),
      strip_space_(strip_space_prefix && tokenizer.vocab().add_space_prefix) {}

std::string StreamingDetokenizer::push(int32_t id) {
    std::string p = tok_->token_to_piece(id, render_special_);
    if (strip_space_ && !p.empty()) {
        if (p[0] == ' ') p.erase(0, 1);
        strip_space_ = false;
    }
    pending_ += p;
    return take_complete(false);
}

std::string StreamingDetokenizer::flush() { return take_complete(true); }

std::string StreamingDetokenizer::take_complete(bool at_end) {
    std::string out;
    size_t pos = 0;
    while (pos < pending_.size()) {
        const utf8::SeqInfo info = utf8::inspect(pending_, pos);
        if (info.complete()) {
            out.append(pending_, pos, info.need);
            pos += info.need;
            continue;
        }
        // A well-formed start cut off by the end of what we have: more bytes may complete it.
        if (!at_end && info.need != 0 && pos + info.valid == pending_.size()) break;
        out.append(utf8::kReplacementUtf8);
        pos += info.valid > 0 ? info.valid : 1;
    }
    pending_.erase(0, pos);
    return out;
}

}  // namespace q8
