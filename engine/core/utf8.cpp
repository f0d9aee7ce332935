#include "utf8.h"

#include <cstdint>

namespace q8::utf8 {

SeqInfo inspect(std::string_view s, size_t pos) {
    SeqInfo info;
    if (pos >= s.size()) {
        return info;
    }
    const auto b0 = static_cast<uint8_t>(s[pos]);
    // Bounds for the second byte depend on the lead (Table 3-7); later bytes are always 80..BF.
    uint8_t lo = 0x80, hi = 0xBF;
    if (b0 < 0x80) {
        info.need = info.valid = 1;
        return info;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
        info.need = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        info.need = 3;
        if (b0 == 0xE0) lo = 0xA0;
        if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        info.need = 4;
        if (b0 == 0xF0) lo = 0x90;
        if (b0 == 0xF4) hi = 0x8F;
    } else {
        return info;  // continuation byte, C0/C1 or F5..FF: never a lead
    }
    info.valid = 1;
    for (size_t k = 1; k < info.need && pos + k < s.size(); ++k) {
        const auto b = static_cast<uint8_t>(s[pos + k]);
        const uint8_t min = k == 1 ? lo : 0x80;
        const uint8_t max = k == 1 ? hi : 0xBF;
        if (b < min || b > max) {
            break;
        }
        ++info.valid;
    }
    return info;
}

char32_t decode(std::string_view s, size_t pos) {
    const auto b0 = static_cast<uint8_t>(s[pos]);
    if (b0 < 0x80) {
        return b0;
    }
    const size_t n = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : 2;
    char32_t cp = b0 & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
        cp = (cp << 6) | (static_cast<uint8_t>(s[pos + k]) & 0x3F);
    }
    return cp;
}

bool is_valid(std::string_view s) {
    size_t pos = 0;
    while (pos < s.size()) {
        // ASCII runs dominate real text; skip them without the full check.
        if (static_cast<uint8_t>(s[pos]) < 0x80) {
            ++pos;
            continue;
        }
        const size_t n = char_len(s, pos);
        if (n == 0) {
            return false;
        }
        pos += n;
    }
    return true;
}

void append(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string sanitize(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    size_t pos = 0;
    while (pos < s.size()) {
        const SeqInfo i = inspect(s, pos);
        if (i.complete()) {
            out.append(s.substr(pos, i.need));
            pos += i.need;
        } else {
            out.append(kReplacementUtf8);
            pos += i.valid > 0 ? i.valid : 1;
        }
    }
    return out;
}

}  // namespace q8::utf8
