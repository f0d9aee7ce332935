// Turns a GGUF file into a Model: checks every tensor's presence, type and shape against the
// hyper-parameters, converts what the kernels cannot read directly, and refuses what cannot fit.
#include <spdlog/spdlog.h>

#include <fstream>
#include <map>
#include <sstream>

#include "dequantize.h"
#include "engine_error.h"
#include "half.h"
#include "model.h"

namespace q8 {

namespace {

bool kernel_readable(GgmlType t) {
    return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16 || t == GgmlType::Q8_0 ||
           t == GgmlType::Q4_0;
}

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
    Loader(const GgufFile& f, const LoadOptions& o) : f_(f), opt_(o) {}

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
            throw EngineError(f_.path() + ": tensor '" + name + "' has shape " + shape_string(*t) +
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
        tick();
        return v;
    }

    WeightMatrix matrix(const std::string& name, int64_t cols, int64_t rows) {
        const GgufTensorInfo& t = tensor(name, {cols, rows});
        WeightMatrix w;
        w.rows = rows;
        w.cols = cols;
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
            f_.map().release_pages(static_cast<size_t>(t.data - f_.map().bytes().data()), t.n_bytes);
        }
        tick();
        return w;
    }

    void set_total(size_t n) { total_ = n; }

private:
    void tick() {
        ++done_;
        if (opt_.progress && !opt_.progress(total_ ? float(done_) / float(total_) : 1.f)) {
            throw EngineError(f_.path() + ": loading cancelled");
        }
    }

    const GgufFile& f_;
    const LoadOptions& opt_;
    size_t done_ = 0, total_ = 0;
};

// Bytes the forward pass will keep resident: kernel-readable tensors are read in place, K-quants
// become F16.
uint64_t resident_weight_bytes(const GgufFile& f) {
    uint64_t total = 0;
    for (const auto& t : f.tensors()) {
        total += kernel_readable(t.type) ? t.n_bytes : t.n_elements * 2;
    }
    return total;
}

}  // namespace

uint64_t available_memory_bytes() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    uint64_t kb = 0;
    std::string unit;
    while (in >> key >> kb >> unit) {
        if (key == "MemAvailable:") return kb * 1024;
    }
    return 0;
}

size_t Model::weight_bytes() const {
    size_t n = token_embd.bytes() + output.bytes() + output_norm.size() * 4;
    for (const auto& l : layers) {
        n += l.wq.bytes() + l.wk.bytes() + l.wv.bytes() + l.wo.bytes() + l.w_gate.bytes() + l.w_up.bytes() +
             l.w_down.bytes();
        n += (l.attn_norm.size() + l.ffn_norm.size() + l.bq.size() + l.bk.size() + l.bv.size()) * 4;
    }
    return n;
}

std::string Model::tensor_type_summary() const {
    std::map<std::string, int> counts;
    for (const auto& t : file->tensors()) counts[std::string(type_traits(static_cast<uint32_t>(t.type))->name)]++;
    std::string s;
    for (const auto& [name, n] : counts) s += (s.empty() ? "" : ", ") + name + " x " + std::to_string(n);
    return s;
}

std::shared_ptr<const Model> load_model(const std::string& path, const LoadOptions& options) {
    auto file = std::make_unique<GgufFile>(path);
    ModelConfig cfg = read_model_config(*file);

    if (options.check_memory) {
        const uint64_t need = resident_weight_bytes(*file);
        const uint64_t avail = available_memory_bytes();
        if (avail > 0 && need > avail) {
            std::ostringstream msg;
            msg.precision(1);
            msg << std::fixed << path << ": the model needs " << double(need) / (1 << 30) << " GiB of memory for its weights but only "
                << double(avail) / (1 << 30) << " GiB is available";
            throw EngineError(msg.str());
        }
    }

    Tokenizer tokenizer = Tokenizer::from_gguf(*file);
    if (tokenizer.n_vocab() != cfg.n_vocab) {
        throw EngineError(path + ": the tokenizer has " + std::to_string(tokenizer.n_vocab()) +
                          " tokens but the embedding matrix has " + std::to_string(cfg.n_vocab) + " rows");
    }

    auto model = std::make_shared<Model>(Model{.file = nullptr, .config = cfg, .tokenizer = std::move(tokenizer)});
    Loader ld(*file, options);
    const bool tied = file->find_tensor("output.weight") == nullptr;
    ld.set_total(static_cast<size_t>(cfg.n_layer) * (cfg.qkv_bias ? 12 : 9) + 3);

    const int64_t e = cfg.n_embd, q_dim = cfg.n_head * cfg.head_dim, kv_dim = cfg.n_embd_kv();
    model->token_embd = ld.matrix("token_embd.weight", e, cfg.n_vocab);
    model->output_norm = ld.vec("output_norm.weight", e);
    if (!tied) model->output = ld.matrix("output.weight", e, cfg.n_vocab);
    if (file->find_tensor("rope_freqs.weight") != nullptr) {
        model->rope_freq_factors = ld.vec("rope_freqs.weight", cfg.n_rot / 2);
    }
    model->layers.resize(static_cast<size_t>(cfg.n_layer));
    for (int64_t i = 0; i < cfg.n_layer; ++i) {
        LayerWeights& L = model->layers[static_cast<size_t>(i)];
        const std::string p = "blk." + std::to_string(i) + ".";
        L.attn_norm = ld.vec(p + "attn_norm.weight", e);
        L.wq = ld.matrix(p + "attn_q.weight", e, q_dim);
        L.wk = ld.matrix(p + "attn_k.weight", e, kv_dim);
        L.wv = ld.matrix(p + "attn_v.weight", e, kv_dim);
        if (cfg.qkv_bias) {
            L.bq = ld.vec(p + "attn_q.bias", q_dim);
            L.bk = ld.vec(p + "attn_k.bias", kv_dim);
            L.bv = ld.vec(p + "attn_v.bias", kv_dim);
        }
        L.wo = ld.matrix(p + "attn_output.weight", q_dim, e);
        L.ffn_norm = ld.vec(p + "ffn_norm.weight", e);
        L.w_gate = ld.matrix(p + "ffn_gate.weight", e, cfg.n_ff);
        L.w_up = ld.matrix(p + "ffn_up.weight", e, cfg.n_ff);
        L.w_down = ld.matrix(p + "ffn_down.weight", cfg.n_ff, e);
    }
    model->file = std::move(file);
    spdlog::info("loaded {} ({}, {} layers, {} embd, {} heads / {} kv, vocab {}): {:.1f} MiB of weights", path,
                 cfg.arch_name, cfg.n_layer, cfg.n_embd, cfg.n_head, cfg.n_head_kv, cfg.n_vocab,
                 double(model->weight_bytes()) / (1 << 20));
    return model;
}

}  // namespace q8
