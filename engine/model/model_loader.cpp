// Turns a GGUF file into a Model: checks every tensor's presence, type and shape against the
// hyper-parameters, converts what the kernels cannot read directly, and refuses what cannot fit.
#include <spdlog/spdlog.h>

#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include <q8/error.h>
#include <q8/system.h>

#include "arch_tensors.h"
#include "dequantize.h"
#include "half.h"
#include "hf_folder.h"
#include "model.h"
#include "weight_cache.h"
#include "weight_formats.h"
#include "weight_quant.h"

namespace q8 {

namespace {

bool kernel_readable(GgmlType t) {
    return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16 || t == GgmlType::Q8_0 ||
           t == GgmlType::Q4_0;
}

bool float_type(GgmlType t) { return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16; }

// What each role becomes under LoadOptions, decided once per file.
struct Plan {
    bool convert = false;  // float matrices are converted (F16/Q8/Q4 on a float file)
    WeightTarget layer, embd, head, positions;
    // Native loads of quantized files: re-view layer matrices for int8 activations / groups.
    bool native_int8 = false;
    bool native_blocks = false;       // int8 activation blocks (Q4_0 matrices only)
    bool native_head_blocks = false;  // and for a Q8_0 head beside Q4_0 layers (as converted Q4)
    uint32_t native_group = 32;
    std::string label;
};

std::string type_name(GgmlType t) { return std::string(type_traits(static_cast<uint32_t>(t))->name); }

// The type most layer matrices of the file have, or F32 when they are all float.
GgmlType quantized_type_of(const GgufFile& f) {
    std::map<GgmlType, int> counts;
    for (const auto& t : f.tensors()) {
        if (t.n_dims == 2 && !float_type(t.type) && t.name.rfind("blk.", 0) == 0) counts[t.type]++;
    }
    GgmlType best = GgmlType::F32;
    int n = 0;
    for (const auto& [type, c] : counts) {
        if (c > n) {
            best = type;
            n = c;
        }
    }
    return best;
}

std::string act_label(ActivationMode m) {
    switch (m) {
    case ActivationMode::Int8PerToken: return "A8";
    case ActivationMode::Int8Blocks: return "A8 (blocks of 32)";
    default: return "A16";
    }
}

// What a file written by q8quant says its activations are (q8chat.quant.activations), if it says.
std::optional<ActivationMode> file_activations(const GgufFile& f) {
    const std::optional<std::string> hint = f.opt_string("q8chat.quant.activations");
    if (!hint) return std::nullopt;
    return *hint == "int8"          ? ActivationMode::Int8PerToken
           : *hint == "int8-blocks" ? ActivationMode::Int8Blocks
                                    : ActivationMode::Float;
}

// Auto made concrete: a q8quant file runs as it was made for; otherwise Q4 runs int8 activation
// blocks (int8 products at W4A16's fidelity) and Q8 runs Q8_0 with float activations
// (docs/quantization.md, "Q8: W8A16 or W8A8").
ActivationMode resolve_activations(const LoadOptions& o, std::optional<ActivationMode> file_act) {
    if (o.activations != ActivationMode::Auto) return o.activations;
    if (file_act) return *file_act;
    return o.precision == Precision::Q4 ? ActivationMode::Int8Blocks : ActivationMode::Float;
}

Plan make_plan(const GgufFile& f, const LoadOptions& o, bool tied) {
    Plan p;
    const GgmlType qt = quantized_type_of(f);
    const bool quantized = qt != GgmlType::F32;
    const int g = o.q4_group;
    if (o.precision == Precision::Q4 && !quant::valid_q4_group(static_cast<size_t>(g))) {
        throw EngineError("Q4 group size must be 32, 64 or 128, not " + std::to_string(g));
    }
    // Hints written by q8quant: how the file's quantized weights are meant to run.
    const auto file_group = static_cast<uint32_t>(f.opt_uint("q8chat.quant.group_size").value_or(32));
    const ActivationMode act = resolve_activations(o, file_activations(f));
    const bool int8 = act == ActivationMode::Int8PerToken || act == ActivationMode::Int8Blocks;
    const bool blocks = act == ActivationMode::Int8Blocks;

    if (o.precision == Precision::Native || quantized) {
        if (quantized) {
            const bool ok = o.precision == Precision::Native ||
                            (o.precision == Precision::Q8 && qt == GgmlType::Q8_0) ||
                            (o.precision == Precision::Q4 && qt == GgmlType::Q4_0);
            if (!ok) {
                throw EngineError(f.path() + ": the file is already quantized (its layer weights are " + type_name(qt) +
                                  "), so it cannot be loaded as " + std::string(precision_name(o.precision)) +
                                  " without requantizing; open it as native" +
                                  (qt == GgmlType::Q8_0   ? " or q8"
                                   : qt == GgmlType::Q4_0 ? " or q4"
                                                          : "") +
                                  ", or quantize the F16/F32 original");
            }
        }
        p.native_int8 = int8;
        p.native_blocks = blocks;
        p.native_head_blocks = blocks && qt == GgmlType::Q4_0;
        p.native_group = quant::valid_q4_group(file_group) ? file_group : 32;
        if (!quantized) {
            p.label = "native";
        } else {
            // Only Q4_0 and Q8_0 matrices have a block mode: others keep float activations under a8b.
            const bool block_kernel = qt == GgmlType::Q4_0 || qt == GgmlType::Q8_0;
            p.label =
                type_name(qt) + " " + act_label(blocks && !block_kernel ? ActivationMode::Float : act) + " (native)";
        }
        return p;
    }
    p.convert = true;
    switch (o.precision) {
    case Precision::F16:
        p.layer = p.embd = p.head = WeightTarget{WeightLayout::Ggml, GgmlType::F16, 0, false};
        p.label = "fp16";
        break;
    case Precision::Q8:
        // Per-token int8 activations take per-channel int8 weights (one scale per row, so each
        // product is one integer dot product); block activations keep Q8_0's per-block scales.
        p.layer = blocks ? WeightTarget{WeightLayout::Ggml, GgmlType::Q8_0, 0, true, true}
                  : int8 ? WeightTarget{WeightLayout::I8Row, GgmlType::F32, 0, true}
                         : WeightTarget{WeightLayout::Ggml, GgmlType::Q8_0, 0, false};
        p.embd = p.head = WeightTarget{WeightLayout::Ggml, GgmlType::Q8_0, 0, false};
        p.label = blocks ? "q8 W8A8 (Q8_0, blocks of 32)" : int8 ? "q8 W8A8 (per-channel int8)" : "q8 W8A16 (Q8_0)";
        break;
    case Precision::Q4: {
        const WeightLayout l = o.q4_asymmetric ? WeightLayout::Q4GroupAsym : WeightLayout::Q4Group;
        p.layer = WeightTarget{l, GgmlType::F32, static_cast<uint32_t>(g), int8, blocks};
        if (g == 32 && !o.q4_asymmetric && !int8) p.layer = WeightTarget{WeightLayout::Ggml, GgmlType::Q4_0, 0, false};
        p.embd = g == 32 && !o.q4_asymmetric ? WeightTarget{WeightLayout::Ggml, GgmlType::Q4_0, 0, false}
                                             : WeightTarget{l, GgmlType::F32, static_cast<uint32_t>(g), false};
        // The output head stays at 8 bits (as llama.cpp keeps it at 6): it is one matrix, and
        // 4-bit logits cost far more quality than its size saves. With activation blocks it
        // takes them too: with float activations, verifying 5 drafted tokens cost it 4x one
        // token's time, a quarter of the whole pass (docs/performance.md), against 0.02 points
        // of top-1 agreement (docs/quantization.md).
        p.head = WeightTarget{WeightLayout::Ggml, GgmlType::Q8_0, 0, blocks, blocks};
        p.label =
            "q4 " + std::string(o.q4_asymmetric ? "asym " : "") + "g" + std::to_string(g) + " W4" + act_label(act);
        break;
    }
    case Precision::Native: break;
    }
    p.positions = p.embd;       // a position table is read as the token table is, row by row
    if (tied) p.embd = p.head;  // the table is the head
    return p;
}

// Where an assembled file's tensor came from, e.g. " (model.safetensors: 'lm_head.weight')".
std::string origin(const GgufTensorInfo& t) { return t.origin.empty() ? "" : " (" + t.origin + ")"; }

std::string shape_string(const GgufTensorInfo& t) {
    std::string s = "[";
    for (uint32_t d = 0; d < t.n_dims; ++d) {
        if (d) s += ", ";
        s += std::to_string(t.ne[d]);
    }
    return s + "]";
}

class Loader {
public:
    Loader(const GgufFile& f, const LoadOptions& o, const Plan& plan, std::map<std::string, WeightMatrix>* cache)
        : f_(f), opt_(o), plan_(plan), cache_(cache) {
        for (const auto& t : f.tensors()) total_ += t.n_elements;
    }
    bool converted_fresh() const { return converted_fresh_; }

    const GgufTensorInfo& tensor(const std::string& name, std::initializer_list<int64_t> shape) const {
        const GgufTensorInfo* t = f_.find_tensor(name);
        if (t == nullptr) throw EngineError(f_.path() + ": missing tensor '" + name + "'");
        bool ok = t->n_dims <= shape.size();
        size_t d = 0;
        for (int64_t want : shape) ok = ok && static_cast<int64_t>(t->ne[d++]) == want;
        if (!ok) {
            std::string want = "[";
            d = 0;
            for (int64_t w : shape) want += (d++ ? ", " : "") + std::to_string(w);
            throw EngineError(f_.path() + ": tensor '" + name + "'" + origin(*t) + " has shape " + shape_string(*t) +
                              " but the model's hyper-parameters need " + want + "]");
        }
        if (!type_traits(static_cast<uint32_t>(t->type))->loadable) {
            throw EngineError(f_.path() + ": tensor '" + name + "' has type " +
                              std::string(type_traits(static_cast<uint32_t>(t->type))->name) +
                              ", which this engine cannot load (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K)");
        }
        return *t;
    }

    std::vector<float> vec(const std::string& name, int64_t n) {
        const std::vector<float> v = dequantize_tensor(tensor(name, {n}));
        tick(static_cast<uint64_t>(n));
        return v;
    }

    WeightMatrix matrix(const std::string& name, int64_t cols, int64_t rows, MatrixRole role) {
        const GgufTensorInfo& t = tensor(name, {cols, rows});
        WeightMatrix w;
        w.rows = rows;
        w.cols = cols;
        WeightTarget target = role == MatrixRole::Layer       ? plan_.layer
                              : role == MatrixRole::Embedding ? plan_.embd
                              : role == MatrixRole::Positions ? plan_.positions
                                                              : plan_.head;
        if (plan_.convert && float_type(t.type) && !(target.layout == WeightLayout::Ggml && target.type == t.type)) {
            if (!target_fits(target, cols)) {
                // Rows that do not split into the requested groups take the largest group that
                // fits, then Q8_0, then F16 (as llama.cpp falls back per tensor).
                const WeightTarget wanted = target;
                while (target.layout != WeightLayout::Ggml && target.group > 32 && !target_fits(target, cols))
                    target.group /= 2;
                if (!target_fits(target, cols)) target = WeightTarget{WeightLayout::Ggml, GgmlType::Q8_0, 0, false};
                if (!target_fits(target, cols)) target = WeightTarget{WeightLayout::Ggml, GgmlType::F16, 0, false};
                spdlog::info("{}: '{}' ({} columns) does not split into groups of {}; using {}", f_.path(), name, cols,
                             wanted.layout == WeightLayout::Ggml ? 32u : wanted.group,
                             target.layout == WeightLayout::Ggml ? type_name(target.type)
                                                                 : "group " + std::to_string(target.group));
            }
            if (cache_ != nullptr) {
                const auto it = cache_->find(name);
                if (it != cache_->end() && it->second.rows == rows && it->second.cols == cols) {
                    w = std::move(it->second);
                    cache_->erase(it);
                    tick(t.n_elements);
                    return w;
                }
            }
            converted_fresh_ = true;
            const size_t src_row = t.n_bytes / static_cast<size_t>(rows);
            const auto get_row = [&](int64_t r, float* dst) {
                dequantize_row(t.type, t.data + static_cast<size_t>(r) * src_row, dst, static_cast<size_t>(cols));
            };
            const uint64_t base = done_;
            const auto progress = [&](int64_t rows_done) {
                done_ = base + static_cast<uint64_t>(rows_done) * static_cast<uint64_t>(cols);
                return report();
            };
            if (!quantize_matrix(rows, cols, get_row, target, w, progress)) cancelled();
            f_.release_pages(t.data, t.n_bytes);
            done_ = base;
            tick(t.n_elements);
            return w;
        }
        if (kernel_readable(t.type)) {
            w.type = t.type;
            w.row_bytes = t.n_bytes / static_cast<size_t>(rows);
            w.data = t.data;
        } else {
            // K-quants: decoded once to F16, whose rounding is far below their quantization error.
            w.type = GgmlType::F16;
            w.row_bytes = static_cast<size_t>(cols) * 2;
            w.storage.resize(w.bytes());
            const size_t src_row = t.n_bytes / static_cast<size_t>(rows);
            std::vector<float> tmp(static_cast<size_t>(cols));
            auto* dst = reinterpret_cast<uint16_t*>(w.storage.data());
            for (int64_t r = 0; r < rows; ++r) {
                dequantize_row(t.type, t.data + static_cast<size_t>(r) * src_row, tmp.data(), tmp.size());
                for (int64_t c = 0; c < cols; ++c) dst[r * cols + c] = f32_to_f16(tmp[static_cast<size_t>(c)]);
            }
            w.data = w.storage.data();
            f_.release_pages(t.data, t.n_bytes);
        }
        if (role == MatrixRole::Head && !plan_.convert && plan_.native_head_blocks && w.type == GgmlType::Q8_0)
            w.int8_activations = w.act_blocks = true;
        if (role == MatrixRole::Layer && !plan_.convert) {
            if (w.type == GgmlType::Q8_0 && plan_.native_blocks) {
                w.int8_activations = w.act_blocks = true;  // read in place by the Q8_0 block kernel
            } else if (w.type == GgmlType::Q8_0 && plan_.native_int8) {
                if (!q8_0_to_i8_rows(w)) ++float_act_fallbacks_;
                w.int8_activations = w.layout == WeightLayout::I8Row;
            } else if (w.type == GgmlType::Q4_0 && (plan_.native_int8 || plan_.native_group != 32)) {
                if (!q4_0_to_groups(w, plan_.native_group) && !q4_0_to_groups(w, 32)) {
                    throw EngineError(f_.path() + ": tensor '" + name + "' cannot be viewed as 4-bit groups");
                }
                w.int8_activations = plan_.native_int8;
                w.act_blocks = plan_.native_blocks;
            }
        }
        tick(t.n_elements);
        return w;
    }

    int float_act_fallbacks() const { return float_act_fallbacks_; }

private:
    void tick(uint64_t elements) {
        done_ += elements;
        if (!report()) cancelled();
    }
    bool report() const {
        return !opt_.progress || opt_.progress(total_ ? float(std::min(done_, total_)) / float(total_) : 1.f);
    }
    [[noreturn]] void cancelled() const { throw EngineError(f_.path() + ": loading cancelled"); }

    const GgufFile& f_;
    const LoadOptions& opt_;
    const Plan& plan_;
    uint64_t done_ = 0, total_ = 0;
    int float_act_fallbacks_ = 0;
    std::map<std::string, WeightMatrix>* cache_;
    bool converted_fresh_ = false;
};

// Bytes the forward pass will keep resident: kernel-readable tensors are read in place, K-quants
// become F16, converted float matrices take their target's size (estimated at 1.07 bytes per
// value for 8 bits and 0.57 for 4 bits, the largest of their layouts). Tensors an assembled file
// (a Hugging Face folder) copied at open stay resident too.
uint64_t resident_weight_bytes(const GgufFile& f, const Plan& plan) {
    uint64_t total = f.copied_bytes();
    for (const auto& t : f.tensors()) {
        if (plan.convert && t.n_dims == 2 && float_type(t.type)) {
            const WeightTarget& w = plan.layer;
            const double per = w.layout == WeightLayout::Ggml && w.type == GgmlType::F16     ? 2.0
                               : w.layout == WeightLayout::I8Row || w.type == GgmlType::Q8_0 ? 1.07
                                                                                             : 0.57;
            total += static_cast<uint64_t>(double(t.n_elements) * per);
        } else {
            total += kernel_readable(t.type) ? t.n_bytes : t.n_elements * 2;
        }
    }
    return total;
}

// Refuses a model whose weights, as the forward pass will hold them, exceed available memory.
void check_weights_fit_memory(const GgufFile& f, const Plan& plan) {
    const uint64_t need = resident_weight_bytes(f, plan);
    const uint64_t avail = available_memory_bytes();
    if (avail > 0 && need > avail) {
        std::ostringstream msg;
        msg.precision(1);
        msg << std::fixed << f.path() << ": the model needs " << double(need) / (1 << 30)
            << " GiB of memory for its weights but only " << double(avail) / (1 << 30) << " GiB is available";
        throw EngineError(msg.str());
    }
}

Tokenizer load_tokenizer(const GgufFile& f, const ModelConfig& cfg) {
    Tokenizer tokenizer = Tokenizer::from_gguf(f);
    if (tokenizer.n_vocab() != cfg.n_vocab) {
        throw EngineError(f.path() + ": the tokenizer has " + std::to_string(tokenizer.n_vocab()) +
                          " tokens but the embedding matrix has " + std::to_string(cfg.n_vocab) + " rows");
    }
    return tokenizer;
}

// `layout` names what the settings produce; it changes when that does, so that older cache files
// are rebuilt rather than read (2: the Q4 head takes activation blocks).
WeightCacheKey converted_weights_key(const GgufFile& f, const LoadOptions& o) {
    return weight_cache_key(f, "precision=" + std::string(precision_name(o.precision)) +
                                   ";group=" + std::to_string(o.q4_group) + ";asym=" + std::to_string(o.q4_asymmetric) +
                                   ";act=" + std::string(activation_mode_name(o.activations)) + ";layout=3");
}

// Every tensor the architecture's table names, in table order; optional ones only when present.
void load_weights(Loader& ld, const GgufFile& f, Model& m) {
    const Architecture& arch = architecture(m.config.arch);
    const TensorDims d = tensor_dims(m.config);
    for (const GlobalTensor& g : arch.globals) {
        if (g.presence != Presence::Always && f.find_tensor(g.name) == nullptr) continue;
        const std::string name(g.name);
        if (g.kind == TensorKind::Matrix) {
            m.*g.matrix = ld.matrix(name, dim_size(d, g.cols), dim_size(d, g.rows), g.role);
        } else {
            m.*g.vector = ld.vec(name, dim_size(d, g.cols));
        }
    }
    m.layers.resize(static_cast<size_t>(m.config.n_layer));
    for (int64_t i = 0; i < m.config.n_layer; ++i) {
        LayerWeights& L = m.layers[static_cast<size_t>(i)];
        for (const LayerTensor& t : arch.layer) {
            const std::string name = layer_tensor_name(i, t);
            if (t.kind == TensorKind::Matrix) {
                L.*t.matrix = ld.matrix(name, dim_size(d, t.cols), dim_size(d, t.rows), MatrixRole::Layer);
            } else {
                L.*t.vector = ld.vec(name, dim_size(d, t.cols));
            }
        }
    }
}

// Static per-tensor activation scales chosen at quantization time (q8quant --act-policy auto):
// 4 per layer (attention input, attention output, FFN input, down input), 0 = per token.
void apply_file_act_scales(const GgufFile& f, Model& m) {
    constexpr const char* kKey = "q8chat.quant.act_static_scale";
    if (!f.has(kKey)) return;
    const std::vector<float> sc = f.get_float_array(kKey);
    if (sc.size() != m.layers.size() * 4) {
        throw EngineError(f.path() + ": " + kKey + " has " + std::to_string(sc.size()) + " values, expected " +
                          std::to_string(m.layers.size() * 4));
    }
    for (size_t i = 0; i < m.layers.size(); ++i) apply_static_act_scales(m.config.arch, m.layers[i], &sc[i * 4]);
}

// The matrices converted at this load (those holding their own storage), named as in the file.
std::vector<std::pair<std::string, const WeightMatrix*>> converted_matrices(const Model& m) {
    const Architecture& arch = architecture(m.config.arch);
    std::vector<std::pair<std::string, const WeightMatrix*>> list;
    auto add = [&](std::string name, const WeightMatrix& w) {
        if (!w.storage.empty()) list.emplace_back(std::move(name), &w);
    };
    for (const GlobalTensor& g : arch.globals) {
        if (g.kind == TensorKind::Matrix && (m.*g.matrix).rows > 0) add(std::string(g.name), m.*g.matrix);
    }
    for (size_t i = 0; i < m.layers.size(); ++i) {
        for (const LayerTensor& t : arch.layer) {
            if (t.kind == TensorKind::Matrix) add(layer_tensor_name(static_cast<int64_t>(i), t), m.layers[i].*t.matrix);
        }
    }
    return list;
}

}  // namespace

std::string_view precision_name(Precision p) {
    switch (p) {
    case Precision::Native: return "native";
    case Precision::F16: return "fp16";
    case Precision::Q8: return "q8";
    case Precision::Q4: return "q4";
    }
    return "?";
}

std::string_view activation_mode_name(ActivationMode m) {
    switch (m) {
    case ActivationMode::Auto: return "auto";
    case ActivationMode::Float: return "a16";
    case ActivationMode::Int8PerToken: return "a8";
    case ActivationMode::Int8Blocks: return "a8b";
    }
    return "?";
}

ActivationMode parse_activation_mode(std::string_view s) {
    if (s == "auto") return ActivationMode::Auto;
    if (s == "a16") return ActivationMode::Float;
    if (s == "a8") return ActivationMode::Int8PerToken;
    if (s == "a8b") return ActivationMode::Int8Blocks;
    throw EngineError("unknown activation mode '" + std::string(s) + "' (auto, a16, a8, a8b)");
}

Precision parse_precision(std::string_view s) {
    if (s == "native") return Precision::Native;
    if (s == "fp16" || s == "f16") return Precision::F16;
    if (s == "q8") return Precision::Q8;
    if (s == "q4") return Precision::Q4;
    throw EngineError("unknown precision '" + std::string(s) + "' (native, fp16, q8, q4)");
}

int64_t Model::weight_count() const {
    int64_t n = 0;
    for (const WeightMatrix* w : model_matrices(*this)) n += w->rows * w->cols;
    for (const std::vector<float>* v : model_weight_vectors(*this)) n += static_cast<int64_t>(v->size());
    return n;
}

std::string Model::weight_format_summary() const {
    std::map<std::string, int> counts;
    for (const WeightMatrix* w : model_matrices(*this)) counts[w->format_name()]++;
    std::string s;
    for (const auto& [name, n] : counts) s += (s.empty() ? "" : ", ") + name + " x " + std::to_string(n);
    return s;
}

size_t Model::weight_bytes() const {
    size_t n = 0;
    for (const WeightMatrix* w : model_matrices(*this)) n += w->bytes();
    for (const std::vector<float>* v : model_weight_vectors(*this)) n += v->size() * 4;
    return n;
}

namespace {
Plan plan_for(const GgufFile& f, const ModelConfig& cfg, const LoadOptions& options) {
    const bool tied = f.find_tensor(architecture(cfg.arch).matrix(MatrixRole::Head).name) == nullptr;
    return make_plan(f, options, tied);
}
}  // namespace

uint64_t estimate_weight_bytes(const GgufFile& f, const LoadOptions& options) {
    return resident_weight_bytes(f, plan_for(f, read_model_config(f), options));
}

std::shared_ptr<const Model> load_model(const std::string& path, const LoadOptions& options) {
    auto file = open_model_file(path);
    const ModelConfig cfg = read_model_config(*file);
    const Plan plan = plan_for(*file, cfg, options);
    if (options.check_memory) check_weights_fit_memory(*file, plan);

    auto model =
        std::make_shared<Model>(Model{.file = nullptr, .config = cfg, .tokenizer = load_tokenizer(*file, cfg)});
    model->precision = plan.label;
    // The cache of converted weights, when asked for and when anything is converted.
    const bool use_cache = plan.convert && !options.cache_dir.empty();
    std::map<std::string, WeightMatrix> cached;
    WeightCacheKey cache_key;
    if (use_cache) {
        cache_key = converted_weights_key(*file, options);
        model->weights_from_cache = read_weight_cache(options.cache_dir, cache_key, cached);
    }
    Loader ld(*file, options, plan, use_cache ? &cached : nullptr);
    load_weights(ld, *file, *model);
    if (!plan.convert) apply_file_act_scales(*file, *model);
    if (use_cache && ld.converted_fresh()) {
        model->weights_from_cache = false;
        write_weight_cache(options.cache_dir, cache_key, converted_matrices(*model));
    }
    if (ld.float_act_fallbacks() > 0) {
        spdlog::warn("{}: {} Q8_0 matrices have per-block scales, not one per row; they run with float activations",
                     path, ld.float_act_fallbacks());
    }
    model->file = std::move(file);
    move_weights_to_arena(*model);
    spdlog::info("loaded {} ({}, {} layers, {} embd, {} heads / {} kv, vocab {}): {:.1f} MiB of weights as {}", path,
                 cfg.arch_name, cfg.n_layer, cfg.n_embd, cfg.n_head, cfg.n_head_kv, cfg.n_vocab,
                 double(model->weight_bytes()) / (1 << 20), model->precision);
    return model;
}

}  // namespace q8
