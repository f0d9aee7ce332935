#pragma once
// Targets that read several files from one input (a tokenizer.json with its tokenizer_config.json
// and a text, a whole Hugging Face folder) cut the input at a separator. The separator is long
// and unlike JSON or float data, so a file's own bytes never split it by accident, while
// libFuzzer's mutations can still drop, duplicate or move one. make_seeds.py joins files with it.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace q8fuzz {

inline constexpr std::string_view kSectionSeparator = "\x1eq8fuzz-file\x1e";

inline std::vector<std::string_view> split_sections(const uint8_t* data, size_t size) {
    std::vector<std::string_view> parts;
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    for (;;) {
        const size_t at = rest.find(kSectionSeparator);
        if (at == std::string_view::npos) break;
        parts.push_back(rest.substr(0, at));
        rest.remove_prefix(at + kSectionSeparator.size());
    }
    parts.push_back(rest);
    return parts;
}

}  // namespace q8fuzz
