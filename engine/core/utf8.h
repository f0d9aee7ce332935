#pragma once
// Strict UTF-8 helpers for the tokenizers. "Well-formed" follows Unicode Table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF. Ill-formed input is never rejected here; callers
// decide whether to keep its bytes or to show it as U+FFFD.
#include <cstddef>
#include <string>
#include <string_view>

namespace q8::utf8 {

inline constexpr char32_t kReplacement = 0xFFFD;
inline constexpr std::string_view kReplacementUtf8 = "\xEF\xBF\xBD";

// How the bytes at s[pos] begin a character.
struct SeqInfo {
    size_t need = 0;   // length the lead byte announces (1..4); 0 when it cannot lead at all
    size_t valid = 0;  // bytes from pos that are a well-formed prefix of that sequence (<= need)
    bool complete() const { return need != 0 && valid == need; }
};

SeqInfo inspect(std::string_view s, size_t pos);

// Length of the well-formed character at s[pos], or 0 when none starts there.
inline size_t char_len(std::string_view s, size_t pos) {
    const SeqInfo i = inspect(s, pos);
    return i.complete() ? i.need : 0;
}

// Decodes a character already known to be well-formed (char_len(s, pos) != 0).
char32_t decode(std::string_view s, size_t pos);

bool is_valid(std::string_view s);

void append(std::string& out, char32_t cp);

// Copy of s with each maximal ill-formed subpart replaced by U+FFFD (the Unicode-recommended
// practice, also what browsers and Qt do), so a cut-off 3-byte character becomes one U+FFFD.
std::string sanitize(std::string_view s);

}  // namespace q8::utf8
