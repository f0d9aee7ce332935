#include "tokenizer_json.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <unordered_map>

#include <q8/error.h>

#include "pre_tokenizer.h"

namespace q8 {

namespace {

using json = nlohmann::json;

// Larger than any real tokenizer.json (a few tens of MiB), so a hostile file cannot make the
// reader allocate without bound.
constexpr std::streamoff kMaxJsonBytes = std::streamoff{512} << 20;

json read_json(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw EngineError(path + ": cannot open");
    const std::streamoff size = in.tellg();
    if (size > kMaxJsonBytes) throw EngineError(path + ": " + std::to_string(size) + " bytes is too large");
    in.seekg(0);
    json j = json::parse(in, nullptr, false);
    if (j.is_discarded()) throw EngineError(path + ": not valid JSON");
    if (!j.is_object()) throw EngineError(path + ": not a JSON object");
    return j;
}

// A token written as a string or as {"content": ...} (tokenizer_config.json uses both).
std::optional<std::string> token_text(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v["content"].is_string()) return v["content"].get<std::string>();
    return std::nullopt;
}

const std::string kSpace = "\xe2\x96\x81";  // "▁", SentencePiece's space

// What the normalizer and pre-tokenizer say about the text before the model sees it.
struct Steps {
    bool byte_level = false;           // a ByteLevel step: GPT-2's byte alphabet
    bool metaspace = false;            // spaces become "▁" (normalizer Replace or Metaspace)
    bool prefix_space = false;         // a "▁" is put in front of the text
    std::vector<std::string> regexes;  // the regex splits, in order
    bool unsupported = false;
    std::string unsupported_what;
};

// Sequences nest only a level or two in real files; deeper ones are refused before the recursion
// could exhaust the stack.
constexpr int kMaxNesting = 8;

void walk_normalizer(const json& n, Steps& s, int depth = 0) {
    if (n.is_null()) return;
    const std::string type = n.value("type", "");
    if (type == "Sequence" && depth < kMaxNesting) {
        for (const json& x : n.value("normalizers", json::array())) walk_normalizer(x, s, depth + 1);
    } else if (type == "Prepend") {
        s.prefix_space = s.prefix_space || n.value("prepend", "") == kSpace;
    } else if (type == "Replace") {
        const json& p = n.value("pattern", json::object());
        s.metaspace = s.metaspace || (p.value("String", "") == " " && n.value("content", "") == kSpace);
    } else if (type != "NFC" && type != "NFKC") {
        // NFC leaves the ASCII and composed text the fixtures and most prompts are in alone.
        s.unsupported = true;
        s.unsupported_what = "normalizer '" + type + "'";
    }
}

void walk_pre_tokenizer(const json& p, Steps& s, int depth = 0) {
    if (p.is_null()) return;
    const std::string type = p.value("type", "");
    if (type == "Sequence" && depth < kMaxNesting) {
        for (const json& x : p.value("pretokenizers", json::array())) walk_pre_tokenizer(x, s, depth + 1);
    } else if (type == "ByteLevel") {
        s.byte_level = true;
        if (p.value("use_regex", true)) s.regexes.push_back(PreTokenizer::byte_level_regex());
    } else if (type == "Split" && p.contains("pattern") && p["pattern"].contains("Regex")) {
        s.regexes.push_back(p["pattern"]["Regex"].get<std::string>());
    } else if (type == "Digits") {
        s.regexes.push_back(p.value("individual_digits", false) ? "\\p{N}" : "\\p{N}+");
    } else if (type == "Metaspace") {
        s.metaspace = true;
        const std::string scheme = p.value("prepend_scheme", p.value("add_prefix_space", true) ? "always" : "never");
        s.prefix_space = scheme != "never";
    } else {
        s.unsupported = true;
        s.unsupported_what = "pre-tokenizer '" + type + "'";
    }
}

bool byte_token(const std::string& t) {
    return t.size() == 6 && t.rfind("<0x", 0) == 0 && t[5] == '>' && std::isxdigit(static_cast<unsigned char>(t[3])) &&
           std::isxdigit(static_cast<unsigned char>(t[4]));
}

// Merges come as "a b" strings or as ["a", "b"] pairs.
std::vector<std::string> read_merges(const json& model, const std::string& path) {
    std::vector<std::string> out;
    const auto it = model.find("merges");
    if (it == model.end() || !it->is_array()) throw EngineError(path + ": 'model.merges' is missing");
    out.reserve(it->size());
    for (const json& m : *it) {
        if (m.is_string()) {
            out.push_back(m.get<std::string>());
        } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
            out.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
        } else {
            throw EngineError(path + ": 'model.merges'[" + std::to_string(out.size()) + "] is not a merge");
        }
    }
    return out;
}

// SentencePiece merges pieces by score; HF writes the same order as ranked merges. A piece made
// by an earlier merge gets a higher score; pieces no merge makes score below all of them.
std::vector<float> scores_from_merges(const Vocab& v, const std::vector<std::string>& merges) {
    std::unordered_map<std::string, int32_t> ids;
    for (int32_t i = 0; i < v.n_tokens(); ++i) ids.emplace(v.tokens[static_cast<size_t>(i)], i);
    const float lowest = -static_cast<float>(merges.size()) - 1.f;
    std::vector<float> scores(v.tokens.size(), lowest);
    for (size_t r = merges.size(); r-- > 0;) {
        const std::string& m = merges[r];
        const size_t sp = m.find(' ', 1);
        if (sp == std::string::npos) continue;
        const auto it = ids.find(m.substr(0, sp) + m.substr(sp + 1));
        if (it != ids.end()) scores[static_cast<size_t>(it->second)] = -static_cast<float>(r);
    }
    for (size_t i = 0; i < scores.size(); ++i) {
        if (v.types[i] != TokenType::normal) scores[i] = 0.f;
    }
    return scores;
}

int32_t special_id(const Vocab& v, const json& config, const char* field, const std::string& path) {
    const auto it = config.find(field);
    if (it == config.end() || it->is_null()) return kNoToken;
    const std::optional<std::string> text = token_text(*it);
    if (!text) throw EngineError(path + ": '" + field + "' is neither a string nor a token object");
    const int32_t id = v.find(*text);
    if (id == kNoToken) throw EngineError(path + ": '" + field + "' is \"" + *text + "\", which is not a token");
    return id;
}

HfTokenizer read(const std::string& path, const std::string& config_path, const std::string& name) {
    const json j = read_json(path);
    const json config = config_path.empty() ? json::object() : read_json(config_path);
    const auto model_it = j.find("model");
    if (model_it == j.end() || !model_it->is_object()) throw EngineError(path + ": 'model' is missing");
    const json& model = *model_it;
    const std::string type = model.value("type", "");
    if (type != "BPE") {
        throw EngineError(path + ": 'model.type' is '" + type + "'; only BPE tokenizers are supported");
    }
    const auto vocab_it = model.find("vocab");
    if (vocab_it == model.end() || !vocab_it->is_object()) throw EngineError(path + ": 'model.vocab' is missing");

    // Ids from the vocabulary and the added tokens; every id below the largest must be used once.
    std::map<int64_t, std::string> by_id;
    auto place = [&](int64_t id, const std::string& text, const std::string& field) {
        if (id < 0 || id >= std::numeric_limits<int32_t>::max()) {
            throw EngineError(path + ": " + field + " has id " + std::to_string(id));
        }
        const auto [it, fresh] = by_id.emplace(id, text);
        if (!fresh && it->second != text) {
            throw EngineError(path + ": id " + std::to_string(id) + " is both \"" + it->second + "\" and \"" + text +
                              "\"");
        }
    };
    for (const auto& [text, id] : vocab_it->items()) {
        if (!id.is_number_integer()) throw EngineError(path + ": 'model.vocab' entry \"" + text + "\" has no id");
        place(id.get<int64_t>(), text, "'model.vocab' entry \"" + text + "\"");
    }
    const json added = j.value("added_tokens", json::array());
    for (const json& a : added) {
        if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !token_text(a)) {
            throw EngineError(path + ": an 'added_tokens' entry has no integer 'id' and string 'content'");
        }
        place(a["id"].get<int64_t>(), *token_text(a), "'added_tokens' entry \"" + *token_text(a) + "\"");
    }
    if (by_id.empty()) throw EngineError(path + ": the vocabulary is empty");
    const int64_t n = by_id.rbegin()->first + 1;
    if (static_cast<int64_t>(by_id.size()) != n) {
        int64_t gap = 0;
        while (by_id.count(gap) != 0) ++gap;
        throw EngineError(path + ": no token has id " + std::to_string(gap) + " (ids must run from 0 to " +
                          std::to_string(n - 1) + ")");
    }

    HfTokenizer out;
    Vocab& v = out.vocab;
    v.name = name;
    for (auto& [id, text] : by_id) v.tokens.push_back(std::move(text));
    v.types.assign(v.tokens.size(), TokenType::normal);

    Steps steps;
    walk_normalizer(j.value("normalizer", json()), steps);
    walk_pre_tokenizer(j.value("pre_tokenizer", json()), steps);
    const bool byte_fallback = model.value("byte_fallback", false);
    if (steps.unsupported) throw EngineError(path + ": " + steps.unsupported_what + " is not supported");
    if (steps.byte_level) {
        v.kind = VocabKind::bpe;
        PreTokenizerKind kind = PreTokenizerKind::gpt2;
        if (!PreTokenizer::match_regexes(steps.regexes, kind)) {
            // As for an unknown tokenizer.ggml.pre: GPT-2's regex suits most byte-level vocabularies.
            spdlog::warn("{}: the pre-tokenizer's regexes match no known pre-tokenizer; using GPT-2's", path);
        }
        v.pre = std::string(PreTokenizer::name(kind));
        v.ignore_merges = model.value("ignore_merges", false);
        v.merges = read_merges(model, path);
    } else if (steps.metaspace || byte_fallback) {
        v.kind = VocabKind::spm;
        v.add_space_prefix = steps.prefix_space;
    } else {
        throw EngineError(path +
                          ": neither a byte-level (ByteLevel) nor a SentencePiece-style (\"▁\", byte "
                          "fallback) BPE tokenizer");
    }

    if (const auto unk = model.find("unk_token"); unk != model.end() && unk->is_string()) {
        v.unk = v.find(unk->get<std::string>());
        if (v.unk != kNoToken) v.types[static_cast<size_t>(v.unk)] = TokenType::unknown;
    }
    if (v.kind == VocabKind::spm && byte_fallback) {
        for (size_t i = 0; i < v.tokens.size(); ++i) {
            if (byte_token(v.tokens[i])) v.types[i] = TokenType::byte;
        }
    }
    for (const json& a : added) {
        const auto id = static_cast<size_t>(a["id"].get<int64_t>());
        // Added tokens that swallow the whitespace beside them (lstrip / rstrip).
        if (a.value("lstrip", false)) v.lstrip_ids.push_back(static_cast<int32_t>(id));
        if (a.value("rstrip", false)) v.rstrip_ids.push_back(static_cast<int32_t>(id));
        if (v.types[id] == TokenType::unknown || v.types[id] == TokenType::byte) continue;
        v.types[id] = a.value("special", false) ? TokenType::control : TokenType::user_defined;
    }
    std::sort(v.lstrip_ids.begin(), v.lstrip_ids.end());
    std::sort(v.rstrip_ids.begin(), v.rstrip_ids.end());
    if (v.kind == VocabKind::spm) {
        v.scores = scores_from_merges(v, read_merges(model, path));
    } else {
        v.scores.assign(v.tokens.size(), 0.f);
    }

    v.bos = special_id(v, config, "bos_token", config_path);
    v.eos = special_id(v, config, "eos_token", config_path);
    v.pad = special_id(v, config, "pad_token", config_path);
    if (const int32_t unk = special_id(v, config, "unk_token", config_path); unk != kNoToken) v.unk = unk;
    // tokenizer_config.json's flags; without them, the defaults a GGUF file without the keys gets.
    v.add_bos = config.contains("add_bos_token")
                    ? config["add_bos_token"].is_boolean() && config["add_bos_token"].get<bool>()
                    : v.kind == VocabKind::spm;
    v.add_eos =
        config.contains("add_eos_token") && config["add_eos_token"].is_boolean() && config["add_eos_token"].get<bool>();
    if (const auto t = config.find("chat_template"); t != config.end()) {
        if (t->is_string()) {
            out.chat_template = t->get<std::string>();
        } else if (t->is_array()) {
            for (const json& named : *t) {
                if (named.value("name", "") == "default") out.chat_template = named.value("template", "");
            }
        }
    }
    v.finalize(path);
    return out;
}

}  // namespace

HfTokenizer read_hf_tokenizer(const std::string& path, const std::string& config_path, const std::string& name) {
    try {
        return read(path, config_path, name);
    } catch (const nlohmann::json::exception& e) {
        // A field of an unexpected JSON type (nlohmann says which).
        throw EngineError(path + ": unexpected structure: " + e.what());
    }
}

}  // namespace q8
