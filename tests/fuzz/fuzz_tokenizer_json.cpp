// Arbitrary bytes as a Hugging Face tokenizer: the input holds tokenizer.json, optionally
// tokenizer_config.json and a text, cut at the section separator (fuzz_sections.h). The reader must
// refuse a malformed pair with EngineError and nothing else; a vocabulary it accepts must give a
// working tokenizer: encoding the text, with and without special tokens, gives ids in range, and
// decoding them, as a whole or streamed, never throws.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include <q8/error.h>

#include "fuzz_input_file.h"
#include "fuzz_sections.h"
#include "tokenizer.h"
#include "tokenizer_json.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    spdlog::set_level(spdlog::level::off);  // unknown pre-tokenizers and ill-formed text are logged
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::vector<std::string_view> parts = q8fuzz::split_sections(data, size);
    auto bytes = [](std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); };
    const q8fuzz::InputFile tokenizer_json(bytes(parts[0]), parts[0].size());
    std::optional<q8fuzz::InputFile> config;
    if (parts.size() > 1) config.emplace(bytes(parts[1]), parts[1].size());
    const std::string_view text = parts.size() > 2 ? parts[2] : std::string_view("Hello world <s> 123");

    std::optional<q8::Tokenizer> tok;
    try {
        q8::HfTokenizer hf = q8::read_hf_tokenizer(tokenizer_json.path(), config ? config->path() : "", "fuzz");
        const q8::Vocab& v = hf.vocab;
        if (v.types.size() != v.tokens.size() || v.scores.size() != v.tokens.size()) __builtin_trap();
        tok.emplace(std::move(hf.vocab));
    } catch (const q8::EngineError&) {
        return 0;
    }
    for (const bool special : {false, true}) {
        const std::vector<int32_t> ids = tok->encode(text, special, special);
        for (int32_t id : ids) {
            if (id < 0 || id >= tok->n_vocab()) __builtin_trap();
        }
        (void)tok->decode(ids, special);
        q8::StreamingDetokenizer stream(*tok, special, /*strip_space_prefix=*/true);
        for (int32_t id : ids) (void)stream.push(id);
        (void)stream.flush();
    }
    return 0;
}
