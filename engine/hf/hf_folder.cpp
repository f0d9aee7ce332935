#include "hf_folder.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>

#include <q8/error.h>

#include "hf_architectures.h"
#include "safetensors_file.h"
#include "tokenizer_json.h"

namespace q8 {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr const char* kIndexName = "model.safetensors.index.json";
constexpr std::uintmax_t kMaxConfigBytes = 64u << 20;  // config and index files are a few KiB to MiB
// The head dimension sizes the RoPE factor table built before any tensor is read, so it is bounded
// here, as the GGUF path bounds attention.key_length (engine/model/model_config.cpp): a config.json
// claiming 2^31 made the table take 4 GiB and a billion pow() calls (found by fuzz_hf_folder).
constexpr int64_t kMaxHeadDim = 1 << 20;

std::string read_text(const fs::path& p) {
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(p, ec);
    if (ec) throw EngineError(p.string() + ": cannot read: " + ec.message());
    if (size > kMaxConfigBytes) throw EngineError(p.string() + ": " + std::to_string(size) + " bytes is too large");
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    if (!in) throw EngineError(p.string() + ": cannot read");
    return s.str();
}

json parse_object(const fs::path& p, const std::string& text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) throw EngineError(p.string() + ": not valid JSON");
    if (!j.is_object()) throw EngineError(p.string() + ": not a JSON object");
    return j;
}

// config.json, with every field the conversion reads checked for presence, type and range.
class Config {
public:
    explicit Config(const fs::path& dir) : path_((dir / "config.json").string()) {
        if (!fs::exists(dir / "config.json")) {
            throw EngineError(dir.string() +
                              ": no config.json (a Hugging Face model folder needs config.json, "
                              "tokenizer.json and *.safetensors files)");
        }
        text_ = read_text(dir / "config.json");
        j_ = parse_object(path_, text_);
    }
    const std::string& path() const { return path_; }
    const std::string& text() const { return text_; }
    const json& json_value() const { return j_; }

    std::optional<int64_t> opt_int(std::string_view key) const {
        const auto it = j_.find(key);
        if (it == j_.end() || it->is_null()) return std::nullopt;
        if (!it->is_number_integer()) fail("'" + std::string(key) + "' should be an integer");
        const int64_t v = it->get<int64_t>();
        if (v <= 0 || v > std::numeric_limits<int32_t>::max()) {
            fail("'" + std::string(key) + "' = " + std::to_string(v) + " is out of range");
        }
        return v;
    }
    int64_t get_int(std::string_view key) const {
        const std::optional<int64_t> v = opt_int(key);
        if (!v) fail("missing '" + std::string(key) + "'");
        return *v;
    }
    std::optional<double> opt_float(std::string_view key) const {
        const auto it = j_.find(key);
        if (it == j_.end() || it->is_null()) return std::nullopt;
        if (!it->is_number()) fail("'" + std::string(key) + "' should be a number");
        return it->get<double>();
    }
    bool opt_bool(std::string_view key, bool fallback) const {
        const auto it = j_.find(key);
        if (it == j_.end() || it->is_null()) return fallback;
        if (!it->is_boolean()) fail("'" + std::string(key) + "' should be true or false");
        return it->get<bool>();
    }
    [[noreturn]] void fail(const std::string& what) const { throw EngineError(path_ + ": " + what); }

private:
    std::string path_, text_;
    json j_;
};

const HfArchitecture& find_architecture(const Config& c) {
    const json& j = c.json_value();
    const auto it = j.find("architectures");
    if (it == j.end() || !it->is_array() || it->empty()) c.fail("missing 'architectures'");
    std::string named;
    for (const json& cls : *it) {
        if (!cls.is_string()) c.fail("'architectures' should list class names");
        if (const HfArchitecture* a = find_hf_architecture(cls.get<std::string>())) return *a;
        named += (named.empty() ? "" : ", ") + cls.get<std::string>();
    }
    c.fail("unsupported architecture " + named + " (supported: " + hf_architecture_classes() + ")");
}

struct Shape {
    int64_t n_head = 0, n_head_kv = 0, n_layer = 0, n_vocab = 0, head_dim = 0;
    std::string layers_key;  // config.json's name for the layer count, for messages
};

// The switches the engine runs in one position only, and the activation function.
void check_variant(const Config& c, const HfArchitecture& arch) {
    for (const HfSwitch& s : arch.switches) {
        if (c.opt_bool(s.key, s.fallback) != s.supported) {
            c.fail("'" + std::string(s.key) + "' is " + (s.supported ? "false" : "true") + ": " + std::string(s.why));
        }
    }
    const auto act = c.json_value().find(arch.activation_key);
    if (act == c.json_value().end()) return;
    std::string accepted;
    for (std::string_view a : arch.activations) {
        if (act->is_string() && act->get<std::string>() == a) return;
        accepted += (accepted.empty() ? "" : ", ") + std::string(a);
    }
    c.fail("'" + std::string(arch.activation_key) + "' is " + act->dump() + "; " + std::string(arch.gguf_name) +
           " models here use " + accepted);
}

// The hyper-parameters under the GGUF keys a converter writes; returns what the tensors need.
Shape add_config_metadata(GgufAssembly& a, const Config& c, const HfArchitecture& arch) {
    check_variant(c, arch);
    const std::string prefix = std::string(arch.gguf_name) + ".";
    std::map<std::string_view, int64_t> ints;  // by GGUF key
    for (const HfConfigKey& k : arch.config) {
        const std::string key = prefix + std::string(k.gguf);
        if (k.type == HfValue::Int) {
            std::optional<int64_t> v = k.required ? c.get_int(k.hf) : c.opt_int(k.hf);
            if (!v && k.embd_multiple > 0) v = k.embd_multiple * ints.at("embedding_length");
            if (v) {
                a.set_u32(key, static_cast<uint32_t>(*v));
                ints[k.gguf] = *v;
            }
        } else if (const std::optional<double> v = c.opt_float(k.hf)) {
            a.set_f32(key, static_cast<float>(*v));
        } else if (k.required) {
            c.fail("missing '" + std::string(k.hf) + "'");
        }
    }
    Shape s;
    s.layers_key = std::string(arch.hf_key("block_count"));
    s.n_layer = ints.at("block_count");
    s.n_vocab = ints.at("vocab_size");
    s.n_head = ints.at("attention.head_count");
    if (arch.kv_heads > 0) {
        s.n_head_kv = arch.kv_heads;
        a.set_u32(prefix + "attention.head_count_kv", static_cast<uint32_t>(arch.kv_heads));
    } else {
        const auto kv = ints.find("attention.head_count_kv");
        s.n_head_kv = kv != ints.end() ? kv->second : s.n_head;
    }
    const int64_t n_embd = ints.at("embedding_length");
    int64_t head_dim = 0;
    if (const std::optional<int64_t> hd = c.opt_int("head_dim")) {
        head_dim = *hd;
        a.set_u32(prefix + "attention.key_length", static_cast<uint32_t>(head_dim));
        a.set_u32(prefix + "attention.value_length", static_cast<uint32_t>(head_dim));
    } else {
        if (n_embd % s.n_head != 0) {
            c.fail("'" + std::string(arch.hf_key("embedding_length")) + "' " + std::to_string(n_embd) +
                   " is not a multiple of '" + std::string(arch.hf_key("attention.head_count")) + "' " +
                   std::to_string(s.n_head));
        }
        head_dim = n_embd / s.n_head;
    }
    if (head_dim > kMaxHeadDim) {
        c.fail("the head dimension " + std::to_string(head_dim) + " ('head_dim', or 'hidden_size' / " +
               "'num_attention_heads') exceeds " + std::to_string(kMaxHeadDim));
    }
    if (arch.rope) a.set_u32(prefix + "rope.dimension_count", static_cast<uint32_t>(head_dim));
    s.head_dim = head_dim;
    return s;
}

// Llama 3's long-context RoPE as converters store it: one divisor per rotated pair
// (rope_freqs.weight), computed in float as they compute it. Other scaling types are refused.
void add_rope_factors(GgufAssembly& a, const Config& c, const Shape& s) {
    const json& j = c.json_value();
    const auto it = j.find("rope_scaling");
    if (it == j.end() || it->is_null()) return;
    const json& r = *it;
    // rope_type, or type in older files; read only as strings (json::value throws on another type,
    // which escaped from here as a JSON exception instead of EngineError).
    auto text = [&](const char* key) {
        const auto t = r.find(key);
        return t != r.end() && t->is_string() ? t->get<std::string>() : std::string();
    };
    const std::string type = !r.is_object() ? "" : r.contains("rope_type") ? text("rope_type") : text("type");
    if (type != "llama3") c.fail("'rope_scaling' " + r.dump() + " is not supported (only rope_type llama3)");
    auto number = [&](const char* key) {
        const auto v = r.find(key);
        if (v == r.end() || !v->is_number() || !(v->get<double>() > 0)) {
            c.fail("'rope_scaling' needs a positive '" + std::string(key) + "'");
        }
        return v->get<float>();
    };
    const float factor = number("factor"), low = number("low_freq_factor"), high = number("high_freq_factor");
    const float old_ctx = number("original_max_position_embeddings");
    if (!(high > low)) c.fail("'rope_scaling' needs 'high_freq_factor' > 'low_freq_factor'");
    const auto theta = static_cast<float>(c.opt_float("rope_theta").value_or(10000.0));
    const int64_t pairs = s.head_dim / 2;
    auto* out = reinterpret_cast<float*>(a.own(static_cast<size_t>(pairs) * sizeof(float)));
    for (int64_t i = 0; i < pairs; ++i) {
        const float freq = 1.f / std::pow(theta, static_cast<float>(2 * i) / static_cast<float>(s.head_dim));
        const float wavelen = 2.f * static_cast<float>(M_PI) / freq;
        if (wavelen < old_ctx / high) {
            out[i] = 1.f;
        } else if (wavelen > old_ctx / low) {
            out[i] = factor;
        } else {
            const float smooth = (old_ctx / wavelen - low) / (high - low);
            out[i] = 1.f / ((1.f - smooth) / factor + smooth);
        }
    }
    a.add_tensor("rope_freqs.weight", GgmlType::F32, {static_cast<uint64_t>(pairs)},
                 reinterpret_cast<const uint8_t*>(out), "config.json: 'rope_scaling'");
}

// The tokenizer as tokenizer.ggml.* keys, padded to the embedding's rows as converters pad it.
void add_tokenizer_metadata(GgufAssembly& a, const fs::path& dir, const std::string& name, int64_t n_vocab) {
    const fs::path tok = dir / "tokenizer.json";
    if (!fs::exists(tok)) throw EngineError(dir.string() + ": no tokenizer.json");
    const fs::path cfg = dir / "tokenizer_config.json";
    HfTokenizer t = read_hf_tokenizer(tok.string(), fs::exists(cfg) ? cfg.string() : std::string(), name);
    Vocab& v = t.vocab;
    if (v.n_tokens() > n_vocab) {
        throw EngineError(tok.string() + ": the tokenizer has " + std::to_string(v.n_tokens()) +
                          " tokens but config.json's 'vocab_size' is " + std::to_string(n_vocab));
    }
    for (int64_t i = v.n_tokens(); i < n_vocab; ++i) {
        v.tokens.push_back("[PAD" + std::to_string(i) + "]");
        v.types.push_back(TokenType::unused);
        v.scores.push_back(0.f);
    }
    const bool spm = v.kind == VocabKind::spm;
    a.set_string("tokenizer.ggml.model", spm ? "llama" : "gpt2");
    if (!spm) a.set_string("tokenizer.ggml.pre", v.pre);
    a.set_string_array("tokenizer.ggml.tokens", v.tokens);
    std::vector<int32_t> types;
    for (TokenType ty : v.types) types.push_back(static_cast<int32_t>(ty));
    a.set_i32_array("tokenizer.ggml.token_type", types);
    if (spm) {
        a.set_f32_array("tokenizer.ggml.scores", v.scores);
        a.set_bool("tokenizer.ggml.add_space_prefix", v.add_space_prefix);
    } else {
        a.set_string_array("tokenizer.ggml.merges", v.merges);
    }
    const std::pair<int32_t, const char*> ids[] = {{v.bos, "tokenizer.ggml.bos_token_id"},
                                                   {v.eos, "tokenizer.ggml.eos_token_id"},
                                                   {v.unk, "tokenizer.ggml.unknown_token_id"},
                                                   {v.pad, "tokenizer.ggml.padding_token_id"}};
    for (const auto& [id, key] : ids) {
        if (id != kNoToken) a.set_u32(key, static_cast<uint32_t>(id));
    }
    a.set_bool("tokenizer.ggml.add_bos_token", v.add_bos);
    a.set_bool("tokenizer.ggml.add_eos_token", v.add_eos);
    if (!t.chat_template.empty()) a.set_string("tokenizer.chat_template", t.chat_template);
}

// The shards and which tensor each holds: from the index when there is one, else every
// *.safetensors file in the folder.
struct Shards {
    std::vector<SafetensorsFile> files;
    std::map<std::string, std::pair<size_t, const SafetensorsTensor*>> tensors;  // name -> file, tensor
};

Shards open_shards(const fs::path& dir) {
    Shards s;
    std::map<std::string, size_t> file_index;
    auto open = [&](const std::string& file) {
        const auto it = file_index.find(file);
        if (it != file_index.end()) return it->second;
        s.files.emplace_back((dir / file).string());
        file_index.emplace(file, s.files.size() - 1);
        return s.files.size() - 1;
    };
    auto add = [&](size_t f, const SafetensorsTensor& t) {
        const auto [it, fresh] = s.tensors.emplace(t.name, std::make_pair(f, &t));
        if (!fresh) {
            throw EngineError(s.files[f].path() + ": tensor '" + t.name + "' is also in " +
                              s.files[it->second.first].path());
        }
    };
    const fs::path index = dir / kIndexName;
    if (fs::exists(index)) {
        const json j = parse_object(index, read_text(index));
        const auto map = j.find("weight_map");
        if (map == j.end() || !map->is_object()) throw EngineError(index.string() + ": missing 'weight_map'");
        for (const auto& [name, file] : map->items()) {
            if (!file.is_string())
                throw EngineError(index.string() + ": 'weight_map' entry '" + name + "' is not a file name");
            const std::string f = file.get<std::string>();
            if (f.empty() || f.find('/') != std::string::npos || f == "..") {
                throw EngineError(index.string() + ": 'weight_map' puts '" + name + "' in '" + f +
                                  "', which is not a file name in the folder");
            }
            if (!fs::exists(dir / f)) {
                throw EngineError(index.string() + ": 'weight_map' puts '" + name + "' in " + f +
                                  ", which does not exist");
            }
            const size_t at = open(f);
            const SafetensorsTensor* t = s.files[at].find(name);
            if (t == nullptr) {
                throw EngineError(index.string() + ": 'weight_map' puts '" + name + "' in " + f +
                                  ", which has no such tensor");
            }
            add(at, *t);
        }
        return s;
    }
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() == ".safetensors") names.push_back(e.path().filename().string());
    }
    if (names.empty()) throw EngineError(dir.string() + ": no *.safetensors files and no " + kIndexName);
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
        const size_t at = open(n);
        for (const SafetensorsTensor& t : s.files[at].tensors()) add(at, t);
    }
    return s;
}

// The converter's Q/K permutation: within each head, row j and row j + head_dim/2 (HF's
// rotate_half partners) become rows 2j and 2j+1.
const uint8_t* permuted_rows(GgufAssembly& a, const SafetensorsTensor& t, int64_t n_heads, const std::string& where) {
    const auto rows = static_cast<int64_t>(t.shape.empty() ? 0 : t.shape[0]);
    if (t.shape.size() != 2 || rows % (2 * n_heads) != 0) {
        throw EngineError(where + " has " + std::to_string(rows) + " rows, which do not split into " +
                          std::to_string(n_heads) + " heads of even size (config.json)");
    }
    const size_t row_bytes = t.n_bytes / static_cast<size_t>(rows);
    const int64_t hd = rows / n_heads, half = hd / 2;
    uint8_t* dst = a.own(t.n_bytes);
    for (int64_t h = 0; h < n_heads; ++h) {
        for (int64_t j = 0; j < half; ++j) {
            for (int64_t s = 0; s < 2; ++s) {
                std::memcpy(dst + static_cast<size_t>(h * hd + 2 * j + s) * row_bytes,
                            t.data + static_cast<size_t>(h * hd + s * half + j) * row_bytes, row_bytes);
            }
        }
    }
    return dst;
}

// Maps one checkpoint tensor name to its GGUF name and table entry; nullopt when unknown.
struct Mapped {
    std::string gguf;
    const HfTensorName* entry;
};

std::optional<Mapped> map_name(const HfArchitecture& arch, const std::string& name, const Shape& shape,
                               const std::string& where) {
    for (const HfTensorName& g : arch.globals) {
        if (g.hf == name) return Mapped{std::string(g.gguf), &g};
    }
    if (name.rfind(arch.layer_prefix, 0) != 0) return std::nullopt;
    size_t pos = arch.layer_prefix.size();
    int64_t layer = 0;
    const size_t digits = pos;
    while (pos < name.size() && std::isdigit(static_cast<unsigned char>(name[pos])) && pos - digits < 9) {
        layer = layer * 10 + (name[pos++] - '0');
    }
    if (pos == digits || pos >= name.size() || name[pos] != '.') return std::nullopt;
    const std::string_view rest = std::string_view(name).substr(pos + 1);
    for (const HfTensorName& t : arch.layer) {
        if (t.hf != rest) continue;
        if (layer >= shape.n_layer) {
            throw EngineError(where + " belongs to layer " + std::to_string(layer) + " but config.json's '" +
                              shape.layers_key + "' is " + std::to_string(shape.n_layer));
        }
        return Mapped{"blk." + std::to_string(layer) + "." + std::string(t.gguf), &t};
    }
    return std::nullopt;
}

bool ignored(const std::string& name) {
    // Old Llama checkpoints store RoPE's inverse frequencies, which follow from the config.
    return name.size() > 19 && name.compare(name.size() - 19, 19, "rotary_emb.inv_freq") == 0;
}

// A fused projection's rows are the queries, then the key and the value heads. A checkpoint whose
// c_attn was saved multi-head (3 n_embd rows) under a multi-query config would otherwise load as
// a shape error naming no cause.
void check_fused_qkv(const SafetensorsTensor& t, const Shape& s, const std::string& where) {
    const int64_t want = (s.n_head + 2 * s.n_head_kv) * s.head_dim;
    const auto rows = static_cast<int64_t>(t.shape.empty() ? 0 : t.shape[0]);
    if (rows != want) {
        throw EngineError(where + " has " + std::to_string(rows) +
                          " rows but the fused query/key/value projection of " + std::to_string(s.n_head) +
                          " query heads and " + std::to_string(s.n_head_kv) + " key/value head(s) of " +
                          std::to_string(s.head_dim) + " has " + std::to_string(want) + " (config.json)");
    }
}

void add_tensors(GgufAssembly& a, const Shards& shards, const HfArchitecture& arch, const Shape& shape, bool tied,
                 const fs::path& dir, FileUse use) {
    std::map<std::string, bool> present;
    for (const auto& [name, loc] : shards.tensors) {
        const SafetensorsFile& file = shards.files[loc.first];
        const SafetensorsTensor& t = *loc.second;
        const std::string where = file.path() + ": tensor '" + name + "'";
        const std::optional<Mapped> m = map_name(arch, name, shape, where);
        if (!m) {
            if (ignored(name)) continue;
            throw EngineError(where + " is not part of a " + std::string(arch.gguf_name) + " checkpoint");
        }
        // Tied models use the embeddings as the head whatever the checkpoint holds, as transformers
        // ties them after loading; a saved copy of the head is not read.
        if (m->entry->untied_only && tied) continue;
        if (t.shape.empty() || t.shape.size() > 2) {
            throw EngineError(where + " has " + std::to_string(t.shape.size()) + " dimensions (1 or 2 expected)");
        }
        if (m->entry->fused_qkv) check_fused_qkv(t, shape, where);
        const uint8_t* data = t.data;
        if (m->entry->permute != HfPermute::None) {
            const int64_t heads = m->entry->permute == HfPermute::Query ? shape.n_head : shape.n_head_kv;
            if (use == FileUse::Weights) data = permuted_rows(a, t, heads, where);
            a.copied_bytes += t.n_bytes;
        }
        std::vector<uint64_t> ne(t.shape.rbegin(), t.shape.rend());
        a.add_tensor(m->gguf, t.type, std::move(ne), data,
                     fs::path(file.path()).filename().string() + ": '" + name + "'");
        present[name] = true;
    }
    auto require = [&](const std::string& name, const std::string& why) {
        if (present.count(name) == 0) throw EngineError(dir.string() + ": no shard has tensor '" + name + "'" + why);
    };
    for (const HfTensorName& g : arch.globals) {
        if (g.untied_only && tied) continue;
        require(std::string(g.hf), g.untied_only ? " (config.json's 'tie_word_embeddings' is false)" : "");
    }
    for (int64_t i = 0; i < shape.n_layer; ++i) {
        for (const HfTensorName& t : arch.layer) {
            require(std::string(arch.layer_prefix) + std::to_string(i) + "." + std::string(t.hf),
                    " (config.json's '" + shape.layers_key + "' is " + std::to_string(shape.n_layer) + ")");
        }
    }
}

// The tokenizer is padded to 'vocab_size' tokens, so that size must be the embedding's (which the
// file's size bounds) before anything is allocated for it.
void check_vocab_size(const Shards& shards, const HfArchitecture& arch, const Config& c, int64_t n_vocab) {
    for (const HfTensorName& g : arch.globals) {
        if (g.gguf != "token_embd.weight") continue;
        const SafetensorsTensor& t = *shards.tensors.at(std::string(g.hf)).second;
        if (t.shape.size() != 2 || static_cast<int64_t>(t.shape[0]) != n_vocab) {
            c.fail("'vocab_size' is " + std::to_string(n_vocab) + " but '" + t.name + "' has " +
                   std::to_string(t.shape.empty() ? 0 : t.shape[0]) + " rows");
        }
    }
}

}  // namespace

std::unique_ptr<GgufFile> open_hf_folder(const std::string& dir_name, FileUse use) {
    const fs::path dir(dir_name);
    const Config config(dir);
    const HfArchitecture& arch = find_architecture(config);
    GgufAssembly a;
    a.path = dir_name;
    std::string name = dir.filename().string();
    if (name.empty()) name = dir.parent_path().filename().string();  // "folder/"
    a.set_string("general.architecture", arch.gguf_name);
    a.set_string("general.name", name);
    const Shape shape = add_config_metadata(a, config, arch);
    if (arch.rope) add_rope_factors(a, config, shape);
    const bool tied = config.opt_bool("tie_word_embeddings", arch.tied_by_default);
    Shards shards = open_shards(dir);
    add_tensors(a, shards, arch, shape, tied, dir, use);
    check_vocab_size(shards, arch, config, shape.n_vocab);
    try {
        add_tokenizer_metadata(a, dir, name, shape.n_vocab);
    } catch (const nlohmann::json::exception& e) {
        throw EngineError(dir_name + ": unexpected structure in a tokenizer file: " + std::string(e.what()));
    }
    a.identity = config.text();
    for (SafetensorsFile& f : shards.files) {
        // Appended piecewise: GCC 12 warns falsely on literal + temporary string here.
        a.identity.append("\n").append(fs::path(f.path()).filename().string()).append("\n").append(f.header());
        a.maps.push_back(std::move(f).take_map());
    }
    return std::make_unique<GgufFile>(std::move(a));
}

std::unique_ptr<GgufFile> open_model_file(const std::string& path, FileUse use) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return open_hf_folder(path, use);
    return std::make_unique<GgufFile>(path);
}

}  // namespace q8
