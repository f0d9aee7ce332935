#include "pre_tokenizer.h"

#include <pcre2.h>
#include <spdlog/spdlog.h>

#include <string>
#include <utility>

#include <q8/error.h>

#include "utf8.h"

namespace q8 {

namespace {

// Hugging Face runs these patterns with Oniguruma, whose Unicode \s is TAB..CR, U+0085 and the Z
// categories. PCRE2's \s leaves out U+0085, so the class is spelled out.
#define Q8_WS "\\t-\\r\\x{85}\\p{Z}"
constexpr const char* kSpace = "[" Q8_WS "]";
constexpr const char* kNotSpace = "[^" Q8_WS "]";

// GPT-2's ByteLevel regex, as in tokenizers' byte_level.rs.
const std::string& gpt2_regex() {
    static const std::string re =
        std::string("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" Q8_WS "\\p{L}\\p{N}]+|") + kSpace + "+(?!" +
        kNotSpace + ")|" + kSpace + "+";
    return re;
}

// Llama 3's Split regex; Qwen2 differs only in taking digits one at a time.
std::string llama3_like_regex(const char* digits) {
    return std::string("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|") + digits +
           "| ?[^" Q8_WS "\\p{L}\\p{N}]+[\\r\\n]*|" + kSpace + "*[\\r\\n]+|" + kSpace + "+(?!" + kNotSpace + ")|" +
           kSpace + "+";
}

// o200k (GPT-4o): words split at case changes with optional contraction suffix, and "/" allowed
// to trail punctuation.
std::string gpt4o_regex() {
    const std::string upper = "[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]";
    const std::string lower = "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]";
    const std::string contraction = "(?i:'s|'t|'re|'ve|'m|'ll|'d)?";
    return "[^\\r\\n\\p{L}\\p{N}]?" + upper + "*" + lower + "+" + contraction + "|[^\\r\\n\\p{L}\\p{N}]?" + upper +
           "+" + lower + "*" + contraction + "|\\p{N}{1,3}| ?[^" Q8_WS "\\p{L}\\p{N}]+[\\r\\n/]*|" + kSpace +
           "*[\\r\\n]+|" + kSpace + "+(?!" + kNotSpace + ")|" + kSpace + "+";
}

#undef Q8_WS

// CJK ideographs, everything from U+0800 up to them, and Hangul: deepseek keeps these runs whole.
constexpr const char* kDeepseekCjk = "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+";

// DeepSeek LLM's hand-written letter class (cased letters of many scripts) from its
// tokenizer.json.
constexpr const char* kDeepseekLlmLetters =
    "[A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}\\x{1C4}-\\x{293}"
    "\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}"
    "\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}"
    "\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}"
    "\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}"
    "\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}"
    "\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}"
    "\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}"
    "\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}"
    "\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}"
    "\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}"
    "\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}"
    "\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}"
    "\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}"
    "\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}"
    "\\x{1E900}-\\x{1E943}]+";

// One Split step. Most run on characters (PCRE2 in UTF mode). Falcon's tokenizer.json has steps
// after its ByteLevel step, and those see GPT-2's byte alphabet, one character per byte: they
// run on raw bytes instead (and may cut a character in two, as the reference does).
struct Pattern {
    std::string regex;
    bool on_bytes = false;
};

// The Split steps of each tokenizer.json, in order. Every step keeps both the matches and the
// text between them as pieces (HF's "Isolated" behaviour), and works on each piece of the
// previous step on its own, so lookarounds and anchors never see past a piece.
std::vector<Pattern> patterns_for(PreTokenizerKind kind) {
    const std::string s = kSpace;
    switch (kind) {
    case PreTokenizerKind::gpt2: return {{gpt2_regex()}};
    case PreTokenizerKind::ggml_default:
        // No tokenizer.json has this one: it is llama.cpp's own fallback, run on characters. Its
        // punctuation class adds the ASCII symbols \p{P} lacks except the backtick, so an
        // apostrophe is cut off before GPT-2's contractions can take it.
        return {{"[\\p{P}$+<=>^|~]+"}, {gpt2_regex()}, {"\\p{N}+"}, {"[0-9][0-9][0-9]"}};
    case PreTokenizerKind::llama3: return {{llama3_like_regex("\\p{N}{1,3}")}};
    case PreTokenizerKind::qwen2: return {{llama3_like_regex("\\p{N}")}};
    case PreTokenizerKind::starcoder: return {{"\\p{N}"}, {gpt2_regex()}};
    case PreTokenizerKind::deepseek_coder:
        return {{"[\\r\\n]"}, {s + "?\\p{L}+"}, {s + "?\\p{P}+"}, {kDeepseekCjk}, {"\\p{N}"}};
    case PreTokenizerKind::deepseek_llm:
        return {{"[\\r\\n]"},
                {s + "?" + kDeepseekLlmLetters},
                {s + "?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}"
                     "\\x{3000}-\\x{3002}]+"},
                {s + "+$"},
                {kDeepseekCjk},
                {"\\p{N}+"}};
    case PreTokenizerKind::falcon:
        // Punctuation(Contiguous) counts ASCII punctuation outside \p{P} too; then ByteLevel's
        // regex. Digits(individual_digits=false) comes after ByteLevel, so it sees the byte
        // alphabet, where the numeric characters are the bytes 0-9 and the Latin-1 digits and
        // fractions (superscripts 1-3, 1/4, 1/2, 3/4), so U+00BD (bytes C2 BD) splits in two.
        return {{"[\\p{P}$+<=>^`|~]+"},
                {gpt2_regex()},
                {"[0-9\\xB2\\xB3\\xB9\\xBC-\\xBE]+", true},
                {"[0-9][0-9][0-9]", true}};
    case PreTokenizerKind::gpt4o: return {{gpt4o_regex()}};
    }
    return {{gpt2_regex()}};
}

const char* kind_name(PreTokenizerKind kind) {
    switch (kind) {
    case PreTokenizerKind::gpt2: return "gpt2";
    case PreTokenizerKind::ggml_default: return "default";
    case PreTokenizerKind::llama3: return "llama3";
    case PreTokenizerKind::qwen2: return "qwen2";
    case PreTokenizerKind::starcoder: return "starcoder";
    case PreTokenizerKind::deepseek_coder: return "deepseek-coder";
    case PreTokenizerKind::deepseek_llm: return "deepseek-llm";
    case PreTokenizerKind::falcon: return "falcon";
    case PreTokenizerKind::gpt4o: return "gpt-4o";
    }
    return "?";
}

std::string pcre2_message(int code) {
    PCRE2_UCHAR buf[256];
    const int n = pcre2_get_error_message(code, buf, sizeof buf);
    return n < 0 ? "PCRE2 error " + std::to_string(code) : std::string(reinterpret_cast<char*>(buf));
}

// Per-thread match scratch: match data and a JIT stack large enough for long whitespace runs,
// reused across calls so encoding does not allocate per piece.
struct MatchScratch {
    pcre2_match_data* md = nullptr;
    pcre2_match_context* mctx = nullptr;
    pcre2_jit_stack* jit_stack = nullptr;

    MatchScratch() {
        md = pcre2_match_data_create(16, nullptr);
        mctx = pcre2_match_context_create(nullptr);
        jit_stack = pcre2_jit_stack_create(64 * 1024, 8 * 1024 * 1024, nullptr);
        if (md == nullptr || mctx == nullptr) throw std::bad_alloc();
        if (jit_stack != nullptr) pcre2_jit_stack_assign(mctx, nullptr, jit_stack);
    }
    ~MatchScratch() {
        pcre2_jit_stack_free(jit_stack);
        pcre2_match_context_free(mctx);
        pcre2_match_data_free(md);
    }
    MatchScratch(const MatchScratch&) = delete;
    MatchScratch& operator=(const MatchScratch&) = delete;
};

MatchScratch& scratch() {
    thread_local MatchScratch s;
    return s;
}

}  // namespace

struct PreTokenizer::Step {
    pcre2_code* code = nullptr;
    std::string pattern;
    bool on_bytes = false;

    explicit Step(Pattern p) : pattern(std::move(p.regex)), on_bytes(p.on_bytes) {
        int err = 0;
        PCRE2_SIZE err_off = 0;
        code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                             on_bytes ? 0 : PCRE2_UTF | PCRE2_UCP, &err, &err_off, nullptr);
        if (code == nullptr) {
            throw EngineError("pre-tokenizer regex does not compile at offset " + std::to_string(err_off) + ": " +
                              pcre2_message(err));
        }
        // Without JIT support pcre2_match interprets the pattern; same results, slower.
        const int jrc = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
        if (jrc != 0) spdlog::debug("pre-tokenizer: no JIT ({})", pcre2_message(jrc));
    }
    ~Step() { pcre2_code_free(code); }
    Step(const Step&) = delete;
    Step& operator=(const Step&) = delete;

    // Appends the matches of this step in `piece`, and the gaps between them, to `out`.
    void split(std::string_view piece, std::vector<std::string_view>& out) const {
        MatchScratch& ms = scratch();
        const auto* subject = reinterpret_cast<PCRE2_SPTR>(piece.data());
        const size_t len = piece.size();
        size_t start = 0;
        size_t last = 0;
        while (start < len) {
            // Character steps get text that was validated (or sanitized) once up front.
            const int rc = pcre2_match(code, subject, len, start, on_bytes ? 0 : PCRE2_NO_UTF_CHECK, ms.md, ms.mctx);
            if (rc == PCRE2_ERROR_NOMATCH) break;
            if (rc < 0) {
                throw EngineError("pre-tokenizer regex failed: " + pcre2_message(rc));
            }
            const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(ms.md);
            const size_t mb = ov[0], me = ov[1];
            if (me == mb) {
                // None of our patterns can match empty; step over a character to be safe.
                const size_t n = on_bytes ? 1 : utf8::char_len(piece, mb);
                start = mb + (n > 0 ? n : 1);
                continue;
            }
            if (mb > last) out.push_back(piece.substr(last, mb - last));
            out.push_back(piece.substr(mb, me - mb));
            last = start = me;
        }
        if (last < len) out.push_back(piece.substr(last));
    }
};

namespace {

// Rewrites a tokenizers (Oniguruma) regex in the PCRE2 spelling the steps above use: \s and \S
// become the explicit whitespace class, inside a character class or outside one.
std::string pcre2_spelling(std::string_view hf) {
    const std::string ws = "\\t-\\r\\x{85}\\p{Z}";
    std::string out;
    bool in_class = false;
    for (size_t i = 0; i < hf.size(); ++i) {
        const char c = hf[i];
        if (c == '\\' && i + 1 < hf.size()) {
            const char e = hf[++i];
            if (e == 's') {
                out += in_class ? ws : "[" + ws + "]";
            } else if (e == 'S') {
                out += "[^" + ws + "]";  // never used inside a class by any known tokenizer
            } else {
                out += c;
                out += e;
            }
            continue;
        }
        if (c == '[' && !in_class)
            in_class = true;
        else if (c == ']' && in_class)
            in_class = false;
        out += c;
    }
    return out;
}

}  // namespace

const std::string& PreTokenizer::byte_level_regex() {
    static const std::string re = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    return re;
}

bool PreTokenizer::match_regexes(const std::vector<std::string>& hf_regexes, PreTokenizerKind& kind) {
    for (const PreTokenizerKind k :
         {PreTokenizerKind::gpt2, PreTokenizerKind::ggml_default, PreTokenizerKind::llama3, PreTokenizerKind::qwen2,
          PreTokenizerKind::starcoder, PreTokenizerKind::deepseek_coder, PreTokenizerKind::deepseek_llm,
          PreTokenizerKind::falcon, PreTokenizerKind::gpt4o}) {
        const std::vector<Pattern> steps = patterns_for(k);
        bool same = steps.size() == hf_regexes.size();
        for (size_t i = 0; same && i < steps.size(); ++i) {
            same = !steps[i].on_bytes && steps[i].regex == pcre2_spelling(hf_regexes[i]);
        }
        if (same) {
            kind = k;
            return true;
        }
    }
    return false;
}

std::string_view PreTokenizer::name(PreTokenizerKind kind) { return kind_name(kind); }

bool PreTokenizer::lookup(std::string_view name, PreTokenizerKind& kind) {
    struct Entry {
        std::string_view name;
        PreTokenizerKind kind;
    };
    // Names as llama.cpp's converter writes them, grouped by the regexes their tokenizers use.
    static constexpr Entry kTable[] = {
        {"default", PreTokenizerKind::ggml_default},
        {"gpt2", PreTokenizerKind::gpt2},
        {"gpt-2", PreTokenizerKind::gpt2},
        {"phi-2", PreTokenizerKind::gpt2},
        {"mpt", PreTokenizerKind::gpt2},
        {"olmo", PreTokenizerKind::gpt2},
        {"jais", PreTokenizerKind::gpt2},
        {"roberta-bpe", PreTokenizerKind::gpt2},
        {"jina-es", PreTokenizerKind::gpt2},
        {"jina-de", PreTokenizerKind::gpt2},
        {"jina-v1-en", PreTokenizerKind::gpt2},
        {"jina-v2-es", PreTokenizerKind::gpt2},
        {"jina-v2-de", PreTokenizerKind::gpt2},
        {"jina-v2-code", PreTokenizerKind::gpt2},
        {"gigachat", PreTokenizerKind::gpt2},
        {"llama3", PreTokenizerKind::llama3},
        {"llama-v3", PreTokenizerKind::llama3},
        {"llama-bpe", PreTokenizerKind::llama3},
        {"falcon3", PreTokenizerKind::llama3},
        {"dbrx", PreTokenizerKind::llama3},
        {"smaug-bpe", PreTokenizerKind::llama3},
        {"chatglm-bpe", PreTokenizerKind::llama3},
        {"qwen2", PreTokenizerKind::qwen2},
        {"stablelm2", PreTokenizerKind::qwen2},
        {"megrez", PreTokenizerKind::qwen2},
        {"starcoder", PreTokenizerKind::starcoder},
        {"refact", PreTokenizerKind::starcoder},
        {"smollm", PreTokenizerKind::starcoder},
        {"command-r", PreTokenizerKind::starcoder},
        {"codeshell", PreTokenizerKind::starcoder},
        {"exaone", PreTokenizerKind::starcoder},
        {"minerva-7b", PreTokenizerKind::starcoder},
        {"deepseek-coder", PreTokenizerKind::deepseek_coder},
        {"deepseek-llm", PreTokenizerKind::deepseek_llm},
        {"falcon", PreTokenizerKind::falcon},
        {"gpt-4o", PreTokenizerKind::gpt4o},
        {"llama4", PreTokenizerKind::gpt4o},
    };
    for (const auto& e : kTable) {
        if (e.name == name) {
            kind = e.kind;
            return true;
        }
    }
    return false;
}

PreTokenizer::PreTokenizer(std::string_view pre_name) : kind_(PreTokenizerKind::gpt2) {
    if (!lookup(pre_name, kind_)) {
        spdlog::warn(
            "unknown pre-tokenizer '{}': using the GPT-2 regex; encoding may differ from "
            "the model's reference tokenizer",
            pre_name);
        kind_ = PreTokenizerKind::gpt2;
    }
    for (auto& p : patterns_for(kind_)) steps_.push_back(std::make_unique<Step>(std::move(p)));
    spdlog::debug("pre-tokenizer '{}' -> {}", pre_name, kind_name(kind_));
}

PreTokenizer::PreTokenizer(PreTokenizerKind kind) : kind_(kind) {
    for (auto& p : patterns_for(kind_)) steps_.push_back(std::make_unique<Step>(std::move(p)));
}

PreTokenizer::~PreTokenizer() = default;
PreTokenizer::PreTokenizer(PreTokenizer&&) noexcept = default;
PreTokenizer& PreTokenizer::operator=(PreTokenizer&&) noexcept = default;

std::vector<std::string_view> PreTokenizer::split(std::string_view text) const {
    if (text.empty()) return {};

    auto run = [&](std::vector<std::string_view> pieces, bool bytes_phase) {
        std::vector<std::string_view> next;
        for (const auto& step : steps_) {
            if (step->on_bytes != bytes_phase) continue;
            next.clear();
            next.reserve(pieces.size() * 2);
            for (std::string_view p : pieces) step->split(p, next);
            pieces.swap(next);
        }
        return pieces;
    };

    // Byte steps always come last (they follow ByteLevel), so the phases never interleave.
    if (utf8::is_valid(text)) return run(run({text}, false), true);

    // PCRE2 in UTF mode must not see ill-formed input. Split a copy in which each bad sequence is
    // U+FFFD (a symbol, as llama.cpp and a Python caller decoding with errors="replace" would
    // see it), then map the pieces back onto the original bytes.
    std::string clean;
    clean.reserve(text.size() + 16);
    std::vector<size_t> to_orig;  // clean offset -> text offset, valid at character boundaries
    to_orig.reserve(text.size() + 16);
    size_t pos = 0;
    while (pos < text.size()) {
        const utf8::SeqInfo info = utf8::inspect(text, pos);
        const size_t n = info.complete() ? info.need : (info.valid > 0 ? info.valid : 1);
        const std::string_view repl = info.complete() ? text.substr(pos, n) : utf8::kReplacementUtf8;
        for (size_t k = 0; k < repl.size(); ++k) to_orig.push_back(pos);
        clean.append(repl);
        pos += n;
    }
    to_orig.push_back(text.size());

    std::vector<std::string_view> pieces;
    for (std::string_view p : run({clean}, false)) {
        const auto off = static_cast<size_t>(p.data() - clean.data());
        const size_t b = to_orig[off];
        const size_t e = to_orig[off + p.size()];
        pieces.push_back(text.substr(b, e - b));
    }
    return run(std::move(pieces), true);
}

}  // namespace q8
