#include "quantize_file.h"

#include <chrono>
#include <filesystem>
#include <regex>

#include <q8/error.h>

#include "float_model.h"
#include "gguf_writer.h"
#include "half.h"
#include "hf_folder.h"
#include "matmul.h"
#include "weight_formats.h"

namespace q8::quant {

namespace {

bool float_type(GgmlType t) { return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16; }

// Appends rows of `m` (rows x cols) as `type` blocks.
void append_rows(std::vector<uint8_t>& out, int64_t rows, int64_t cols,
                 const std::function<void(int64_t, float*)>& get_row, GgmlType type, int group, bool per_row_int8) {
    const auto c = static_cast<size_t>(cols);
    std::vector<float> x(c);
    std::vector<int8_t> q(c);
    std::vector<uint8_t> g(c);  // group-wise scratch (at most 1 byte per value)
    for (int64_t r = 0; r < rows; ++r) {
        get_row(r, x.data());
        const size_t at = out.size();
        if (type == GgmlType::Q8_0) {
            out.resize(at + c / 32 * kQ8_0Bytes);
            if (per_row_int8) {
                const float s = quantize_row_i8(x.data(), q.data(), c);
                i8_row_to_q8_0(q.data(), s, out.data() + at, c);
            } else {
                quantize_row_q8_0(x.data(), out.data() + at, c);
            }
        } else if (type == GgmlType::Q4_0) {
            out.resize(at + c / 32 * kQ4_0Bytes);
            if (group == 32) {
                quantize_row_q4_0(x.data(), out.data() + at, c);
            } else {
                quantize_row_q4g(x.data(), g.data(), c, static_cast<size_t>(group), false);
                q4g_to_ggml(g.data(), out.data() + at, c, static_cast<size_t>(group), false);
            }
        } else if (type == GgmlType::F16) {
            for (size_t i = 0; i < c; ++i) {
                const uint16_t h = f32_to_f16(x[i]);
                out.push_back(static_cast<uint8_t>(h & 0xff));
                out.push_back(static_cast<uint8_t>(h >> 8));
            }
        } else {
            const auto* p = reinterpret_cast<const uint8_t*>(x.data());
            out.insert(out.end(), p, p + c * 4);
        }
    }
}

void append_floats(std::vector<uint8_t>& out, const std::vector<float>& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(v.data());
    out.insert(out.end(), p, p + v.size() * 4);
}

// Reports progress per stage; throws when the caller cancels.
using Step = std::function<void(const std::string& stage, float fraction)>;

// Refuses bad options, quantized input (requantizing compounds errors) and an unwritable output
// before any work is done.
void check_options(const QuantizeFileOptions& o) {
    if (o.type != Precision::Q8 && o.type != Precision::Q4) throw EngineError("q8quant: --type must be q8 or q4");
    if (o.type == Precision::Q4 && !valid_q4_group(static_cast<size_t>(o.group))) {
        throw EngineError("q8quant: --group must be 32, 64 or 128, not " + std::to_string(o.group));
    }
    if (o.smoothquant && o.calib_file.empty())
        throw EngineError("q8quant: --smoothquant needs calibration text (--calib FILE)");
    if (o.act_policy_auto && o.calib_file.empty())
        throw EngineError("q8quant: --act-policy auto needs calibration text (--calib FILE)");
    if (o.act_policy_auto && (!o.int8_activations || o.act_blocks))
        throw EngineError("q8quant: --act-policy applies to int8 per-token activations (--act a8)");
    if (o.alpha && (*o.alpha < 0.f || *o.alpha > 1.f)) throw EngineError("q8quant: --alpha must be between 0 and 1");
    if (std::filesystem::exists(o.output) && std::filesystem::equivalent(o.input, o.output)) {
        throw EngineError("q8quant: the output would overwrite the input");
    }
    {
        const auto probe = open_model_file(o.input, FileUse::Description);
        if (const GgufTensorInfo* t = quantized_layer_matrix(*probe)) {
            throw EngineError(o.input + " is already quantized (tensor '" + t->name + "' is " +
                              std::string(type_traits(static_cast<uint32_t>(t->type))->name) +
                              "); q8quant needs an F16, BF16 or F32 model");
        }
    }
    GgufWriter::check_writable(o.output);
}

// The model's layers as floats, smoothed when asked, with the calibration statistics and the
// activation policy recorded in `res`.
FloatLayers prepare_layers(const QuantizeFileOptions& o, const std::shared_ptr<const Model>& model, const Step& step,
                           QuantizeFileResult& res) {
    const ModelConfig& c = model->config;
    if ((o.smoothquant || o.act_policy_auto) && (c.norm != NormKind::Rms || c.ffn != FfnKind::SiluGated)) {
        // Smoothing folds scales into RMSNorm weights and through the gated FFN's linear up
        // branch; LayerNorm biases and a GELU have no such folding, and calibration reads the
        // inputs of Q and the gate.
        throw EngineError(
            "q8quant: --smoothquant and --act-policy auto support RMSNorm/SwiGLU models (llama, qwen2), "
            "not " +
            c.arch_name);
    }
    std::vector<int32_t> calib;
    if (o.smoothquant || o.act_policy_auto) calib = calibration_tokens(*model, o.calib_file);
    FloatLayers fl = float_layers(*model);
    CalibrationStats st;
    if (!calib.empty()) {
        CalibrationOptions co = o.calibration;
        co.n_threads = o.n_threads;
        co.cancel = nullptr;
        co.progress = [&](float f) { step("calibrate", f); };
        st = calibrate(model, calib, co);
        res.calibration_tokens = st.n_tokens;
    }
    if (o.smoothquant) {
        step("smooth", 0.f);
        SmoothQuantOptions so;
        so.alpha = o.alpha;
        so.n_threads = o.n_threads;
        res.smoothing = smooth_quant(fl, model->config, st, so);
        step("smooth", 1.f);
    }
    if (o.act_policy_auto) {
        step("policy", 0.f);
        std::vector<std::array<std::vector<float>, kLinearInputs>> smoothing;
        for (const auto& layer : res.smoothing.layers) {
            std::array<std::vector<float>, kLinearInputs> a;
            for (int i = 0; i < kLinearInputs; ++i) a[static_cast<size_t>(i)] = layer[static_cast<size_t>(i)].scales;
            smoothing.push_back(std::move(a));
        }
        const WeightTarget target = o.type == Precision::Q8 ? WeightTarget{WeightLayout::I8Row, GgmlType::F32, 0, true}
                                                            : WeightTarget{WeightLayout::Q4Group, GgmlType::F32,
                                                                           static_cast<uint32_t>(o.group), true};
        res.act_policy = choose_activation_policy(fl, st, target, smoothing, 1.25, o.n_threads);
        step("policy", 1.f);
    }
    return fl;
}

}  // namespace

std::string activations_hint(const QuantizeFileOptions& o) {
    return !o.int8_activations ? "float" : o.act_blocks ? "int8-blocks" : "int8";
}

namespace {

// Q8 layer matrices for per-token int8 activations: one int8 scale per row (as Q8_0 blocks that
// share it), so that each product is one integer dot product. Activation blocks take plain Q8_0.
bool q8_per_row(const QuantizeFileOptions& o) { return o.type == Precision::Q8 && o.int8_activations && !o.act_blocks; }

// The source file's keys, with the file type and the q8chat.quant.* record of how it was made.
void add_keys(GgufWriter& w, const GgufFile& src, const QuantizeFileOptions& o, const QuantizeFileResult& res) {
    const bool q8 = o.type == Precision::Q8;
    const bool per_row = q8_per_row(o);
    w.set_alignment(src.alignment());
    for (const std::string& key : src.keys()) w.copy_key(src, key);
    w.set_u32("general.file_type", q8 ? 7u : 2u);  // llama_ftype MOSTLY_Q8_0 / MOSTLY_Q4_0
    w.set_u32("general.quantization_version", 2);
    w.set_u32("q8chat.quant.version", 1);
    w.set_string("q8chat.quant.type", q8 ? "q8" : "q4");
    w.set_u32("q8chat.quant.group_size", q8 ? (per_row ? 0u : 32u) : static_cast<uint32_t>(o.group));
    w.set_string("q8chat.quant.weights", per_row ? "int8 per output channel (Q8_0 blocks sharing the row scale)"
                                         : q8    ? "Q8_0"
                                                 : "4-bit symmetric groups (Q4_0 blocks sharing the group scale)");
    w.set_string("q8chat.quant.activations", activations_hint(o));
    w.set_bool("q8chat.quant.smoothquant", o.smoothquant);
    if (o.smoothquant) {
        std::vector<float> alphas;
        for (const auto& layer : res.smoothing.layers)
            for (const auto& ch : layer) alphas.push_back(ch.smoothed ? ch.alpha : -1.f);
        w.set_f32_array("q8chat.quant.smoothquant.alpha", alphas);
        w.set_string("q8chat.quant.smoothquant.alpha_layout",
                     "per layer: attn, attn_out, ffn, down; -1 = not smoothed");
        w.set_u64("q8chat.quant.smoothquant.calibration_tokens", static_cast<uint64_t>(res.calibration_tokens));
    }
    if (o.act_policy_auto) {
        w.set_f32_array("q8chat.quant.act_static_scale", res.act_policy.static_scales());
        w.set_string("q8chat.quant.act_policy",
                     res.act_policy.summary() + " (per layer: attn, attn_out, ffn, down; scale 0 = per-token dynamic)");
    }
    w.set_string("q8chat.quant.source", std::filesystem::path(o.input).filename().string());
}

// A layer matrix in the layer type; rows that do not split into its blocks stay F16.
void add_layer_matrix(GgufWriter& w, const GgufTensorInfo& t, const FloatMatrix* fm, const QuantizeFileOptions& o) {
    const std::vector<uint64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
    const bool q8 = o.type == Precision::Q8;
    const bool per_row = q8_per_row(o);
    const GgmlType type = fm->cols % (q8 ? 32 : o.group) != 0 ? GgmlType::F16 : q8 ? GgmlType::Q8_0 : GgmlType::Q4_0;
    w.add_tensor(t.name, type, ne, [fm, type, per_row, group = o.group](std::vector<uint8_t>& out) {
        append_rows(
            out, fm->rows, fm->cols, [fm](int64_t r, float* dst) { std::copy_n(fm->row(r), fm->cols, dst); }, type,
            group, per_row);
    });
}

// The embedding table or output head: Q8_0 when it is the head (or tied to it) or for Q8, else 4-bit.
void add_model_matrix(GgufWriter& w, const GgufTensorInfo& t, const WeightMatrix* wm, bool head,
                      const QuantizeFileOptions& o) {
    const std::vector<uint64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
    const GgmlType ty = head || o.type == Precision::Q8 ? GgmlType::Q8_0 : GgmlType::Q4_0;
    const int g = ty == GgmlType::Q4_0 && t.ne[0] % static_cast<uint64_t>(o.group) == 0 ? o.group : 32;
    w.add_tensor(t.name, ty, ne, [wm, ty, g](std::vector<uint8_t>& out) {
        append_rows(
            out, wm->rows, wm->cols, [wm](int64_t r, float* dst) { weight_row_to_f32(*wm, r, dst); }, ty, g, false);
    });
}

// Every tensor of the source, in its order: layer matrices quantized from `fl`, norms and biases
// from `fl` (SmoothQuant changes them), the embedding table and head requantized, the rest copied.
void add_tensors(GgufWriter& w, const Model& model, FloatLayers& fl, const QuantizeFileOptions& o) {
    const Architecture& arch = architecture(model.config.arch);
    const bool tied = model.output.rows == 0;
    static const std::regex layer_re(R"(blk\.(\d+)\.(.+))");
    for (const auto& t : model.file->tensors()) {
        const std::vector<uint64_t> ne(t.ne.begin(), t.ne.begin() + t.n_dims);
        std::smatch m;
        const LayerTensor* lt = std::regex_match(t.name, m, layer_re) ? find_layer_tensor(arch, m[2].str()) : nullptr;
        const GlobalTensor* gt = find_global_tensor(arch, t.name);
        if (lt != nullptr && lt->kind == TensorKind::Matrix) {
            add_layer_matrix(w, t, &fl.layers.at(std::stoul(m[1].str())).matrix(*lt), o);
        } else if (lt != nullptr) {
            const std::vector<float>* fv = &fl.layers.at(std::stoul(m[1].str())).vector(*lt);
            w.add_tensor(t.name, GgmlType::F32, ne, [fv](std::vector<uint8_t>& out) { append_floats(out, *fv); });
        } else if (gt != nullptr && gt->kind == TensorKind::Matrix && t.n_dims == 2 && float_type(t.type) &&
                   t.ne[0] % 32 == 0) {
            const bool head = gt->role == MatrixRole::Head || (tied && gt->role == MatrixRole::Embedding);
            add_model_matrix(w, t, &(model.*gt->matrix), head, o);
        } else {
            const GgufTensorInfo* tp = &t;
            w.add_tensor(t.name, t.type, ne,
                         [tp](std::vector<uint8_t>& out) { out.insert(out.end(), tp->data, tp->data + tp->n_bytes); });
        }
    }
}

}  // namespace

QuantizeFileResult quantize_file(const QuantizeFileOptions& o) {
    const auto t0 = std::chrono::steady_clock::now();
    const Step step = [&](const std::string& stage, float f) {
        if (o.progress && !o.progress(stage, f)) throw EngineError("quantization cancelled");
    };
    check_options(o);

    LoadOptions lo;
    lo.progress = [&](float f) {
        step("load", f);
        return true;
    };
    const auto model = load_model(o.input, lo);
    QuantizeFileResult res;
    FloatLayers fl = prepare_layers(o, model, step, res);

    GgufWriter w;
    add_keys(w, *model->file, o, res);
    add_tensors(w, *model, fl, o);
    if (!w.write(o.output, [&](float f) {
            step("write", f);
            return true;
        })) {
        throw EngineError("quantization cancelled");
    }
    res.output_bytes = std::filesystem::file_size(o.output);
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

}  // namespace q8::quant
