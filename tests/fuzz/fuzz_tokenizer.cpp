// Arbitrary bytes as text for every tokenizer family the shared fixtures hold (SentencePiece
// "llama-spm" and "phi-3", byte-level BPE "gpt-2" and "starcoder"). The first byte picks the
// vocabulary and the flags; the rest is the text. Checks: encode never throws, every id is in
// range, decode and streaming decode of those ids never throw, and, for byte-level BPE,
// well-formed UTF-8 whose bytes the vocabulary has survives the round trip. (SentencePiece vocabularies start the text
// after a user-defined token such as "</s>" with a space, as the reference tokenizers do, so their round trip is not
// the identity.)
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <spdlog/spdlog.h>

#include "gguf_reader.h"
#include "tokenizer.h"
#include "utf8.h"

namespace {

const std::vector<q8::Tokenizer>& tokenizers() {
    static const std::vector<q8::Tokenizer> all = [] {
        std::vector<q8::Tokenizer> t;
        for (const char* name : {"llama-spm", "phi-3", "gpt-2", "starcoder"}) {
            const q8::GgufFile f(std::string(Q8_SHARED_DIR) + "/fixtures/tokenizers/ggml-vocab-" + name + ".gguf");
            t.push_back(q8::Tokenizer::from_gguf(f));
        }
        return t;
    }();
    return all;
}

// Per vocabulary, the bytes it has a token for. StarCoder's lacks a few (0xC0, 0xC1, 0xF1, 0xF5 and
// up), 0xF1 included although it leads well-formed characters from U+40000: text with such a byte
// cannot round-trip, and the tokenizer leaves the byte out as the reference does.
const std::vector<std::bitset<256>>& encodable_bytes() {
    static const std::vector<std::bitset<256>> all = [] {
        std::vector<std::bitset<256>> sets;
        for (const q8::Tokenizer& tok : tokenizers()) {
            std::bitset<256> has;
            for (int b = 0; b < 256; ++b) has[b] = !tok.encode(std::string(1, char(b)), false, false).empty();
            sets.push_back(has);
        }
        return sets;
    }();
    return all;
}

bool all_encodable(std::string_view text, const std::bitset<256>& has) {
    for (char c : text)
        if (!has[static_cast<uint8_t>(c)]) return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    spdlog::set_level(spdlog::level::off);  // ill-formed UTF-8 is logged as a warning per input
    (void)encodable_bytes();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint8_t select = data[0];
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    const size_t which = select % tokenizers().size();
    const q8::Tokenizer& tok = tokenizers()[which];
    const bool add_special = (select & 0x10) != 0;
    const bool parse_special = (select & 0x20) != 0;
    const bool render_special = (select & 0x40) != 0;

    const std::vector<int32_t> ids = tok.encode(text, add_special, parse_special);
    for (int32_t id : ids) {
        if (id < 0 || id >= tok.n_vocab()) __builtin_trap();
    }
    const std::string decoded = tok.decode(ids, render_special);
    // Plain well-formed text without special-token parsing must come back byte for byte when the
    // vocabulary has a token for each of its bytes.
    const bool byte_level = tok.vocab().kind == q8::VocabKind::bpe;
    if (byte_level && !add_special && !parse_special && q8::utf8::is_valid(text) &&
        all_encodable(text, encodable_bytes()[which]) && decoded != text)
        __builtin_trap();

    q8::StreamingDetokenizer stream(tok, render_special, /*strip_space_prefix=*/true);
    std::string streamed;
    for (int32_t id : ids) streamed += stream.push(id);
    streamed += stream.flush();
    // Decoding arbitrary ids (the input's bytes read as ids) must not throw or read out of range.
    std::vector<int32_t> raw(size / 4);
    if (!raw.empty()) std::memcpy(raw.data(), data, raw.size() * 4);  // memcpy to null is undefined
    (void)tok.decode(raw, render_special);
    return 0;
}
