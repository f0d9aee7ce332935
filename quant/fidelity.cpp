#include "fidelity.h"

#include <cstdio>
#include <sstream>

#include <q8/error.h>

#include "act_policy.h"
#include "float_model.h"
#include "smoothquant.h"

namespace q8::quant {

namespace {

struct Variant {
    std::string name, description;
    AssembleSpec spec;
    bool smooth = false;
    bool policy = false;  // per-layer static/dynamic activation scales (act_policy.h)
};

WeightTarget ggml(GgmlType t) { return {WeightLayout::Ggml, t, 0, false}; }

std::optional<Variant> variant(const std::string& name) {
    const WeightTarget f16 = ggml(GgmlType::F16), q8_0 = ggml(GgmlType::Q8_0), q4_0 = ggml(GgmlType::Q4_0);
    const WeightTarget i8{WeightLayout::I8Row, GgmlType::F32, 0, true};
    auto g = [](uint32_t group, bool asym, bool a8, bool blocks = false) {
        return WeightTarget{asym ? WeightLayout::Q4GroupAsym : WeightLayout::Q4Group, GgmlType::F32, group, a8, blocks};
    };
    if (name == "fp16") return Variant{name, "FP16 weights", {f16, f16, f16, name}};
    if (name == "q8") return Variant{name, "Q8_0 weights, float activations (W8A16)", {q8_0, q8_0, q8_0, name}};
    if (name == "q8-a8")
        return Variant{
            name, "int8 per-channel weights, int8 per-token activations (W8A8), no smoothing", {i8, q8_0, q8_0, name}};
    if (name == "q8-a8b") {
        return Variant{name,
                       "Q8_0 weights, int8 activations with one scale per 32 values (W8A8 blocks)",
                       {WeightTarget{WeightLayout::Ggml, GgmlType::Q8_0, 0, true, true}, q8_0, q8_0, name}};
    }
    if (name == "q8-sq") return Variant{name, "W8A8 with SmoothQuant (alpha per layer)", {i8, q8_0, q8_0, name}, true};
    if (name == "q4")
        return Variant{name, "4-bit g32 symmetric (Q4_0), float activations (W4A16)", {q4_0, q4_0, q8_0, name}};
    if (name == "q4-g64")
        return Variant{name, "4-bit g64 symmetric, W4A16", {g(64, false, false), g(64, false, false), q8_0, name}};
    if (name == "q4-g128")
        return Variant{name, "4-bit g128 symmetric, W4A16", {g(128, false, false), g(128, false, false), q8_0, name}};
    if (name == "q4-asym")
        return Variant{name,
                       "4-bit g32 with f16 minimum (Q4_1 values), W4A16",
                       {g(32, true, false), g(32, true, false), q8_0, name}};
    if (name == "q4-a8")
        return Variant{
            name, "4-bit g32 symmetric, int8 per-token activations (W4A8)", {g(32, false, true), q4_0, q8_0, name}};
    if (name == "q4-a8b") {
        return Variant{name,
                       "4-bit g32 symmetric, int8 activations with one scale per 32 values (W4A8 blocks)",
                       {g(32, false, true, true), q4_0, q8_0, name}};
    }
    if (name == "q4-a8b-head") {
        return Variant{
            name,
            "W4A8 blocks, and the Q8_0 output head with int8 activation blocks too (W8A8 blocks)",
            {g(32, false, true, true), q4_0, WeightTarget{WeightLayout::Ggml, GgmlType::Q8_0, 0, true, true}, name}};
    }
    if (name == "q4-a8p") {
        return Variant{name,
                       "W4A8 g32, per-layer static/dynamic activation scales",
                       {g(32, false, true), q4_0, q8_0, name},
                       false,
                       true};
    }
    if (name == "q8-sqp") {
        return Variant{
            name, "W8A8 SmoothQuant, per-layer static/dynamic activation scales", {i8, q8_0, q8_0, name}, true, true};
    }
    return std::nullopt;
}

}  // namespace

const std::vector<std::string>& fidelity_variant_names() {
    static const std::vector<std::string> names{"fp16",   "q8",     "q8-a8",       "q8-a8b",  "q8-sq",
                                                "q8-sqp", "q4",     "q4-g64",      "q4-g128", "q4-asym",
                                                "q4-a8",  "q4-a8b", "q4-a8b-head", "q4-a8p"};
    return names;
}

std::vector<FidelityRow> fidelity(const std::shared_ptr<const Model>& base, std::span<const int32_t> tokens,
                                  const FidelityOptions& o) {
    std::vector<Variant> variants;
    for (const std::string& n : o.variants) {
        auto v = variant(n);
        if (!v) throw EngineError("fidelity: unknown variant '" + n + "'");
        if ((v->smooth || v->policy) && o.calibration.empty()) continue;  // needs calibration text
        variants.push_back(*v);
    }
    FloatLayers fl = float_layers(*base);
    if (o.outlier_factor > 0.f) inject_outlier_channels(fl, o.outlier_channels, o.outlier_factor);
    PerplexityOptions po = o.ppl;
    po.keep_predictions = true;

    std::vector<FidelityRow> rows;
    std::vector<int32_t> ref_argmax;
    std::optional<CalibrationStats> stats;  // of the float model, computed once when needed
    auto calibration_stats = [&]() -> const CalibrationStats& {
        if (!stats) {
            const auto fp =
                assemble_model(*base, fl, {ggml(GgmlType::F32), ggml(GgmlType::F32), ggml(GgmlType::F32), "fp32"});
            CalibrationOptions co = o.calib_options;
            co.n_threads = o.ppl.n_threads;
            stats = calibrate(fp, o.calibration, co);
        }
        return *stats;
    };
    for (const Variant& v : variants) {
        if (o.on_variant) o.on_variant(v.name);
        std::shared_ptr<const Model> m;
        FloatLayers smoothed;
        std::vector<std::array<std::vector<float>, kLinearInputs>> scales;
        if (v.smooth) {
            smoothed = fl;
            SmoothQuantOptions so;
            so.alpha = o.sq_alpha;
            so.n_threads = o.ppl.n_threads;
            const SmoothingReport rep = smooth_quant(smoothed, base->config, calibration_stats(), so);
            for (const auto& layer : rep.layers) {
                std::array<std::vector<float>, kLinearInputs> a;
                for (int i = 0; i < kLinearInputs; ++i)
                    a[static_cast<size_t>(i)] = layer[static_cast<size_t>(i)].scales;
                scales.push_back(std::move(a));
            }
        }
        const FloatLayers& layers = v.smooth ? smoothed : fl;
        AssembleSpec spec = v.spec;
        if (v.policy) {
            spec.act_static_scales =
                choose_activation_policy(layers, calibration_stats(), spec.layer, scales, 1.25, o.ppl.n_threads)
                    .static_scales();
        }
        m = assemble_model(*base, layers, spec);
        const PerplexityResult r = perplexity(m, tokens, po);
        if (r.cancelled) break;
        FidelityRow row;
        row.variant = v.name;
        row.description = v.description;
        row.ppl = r.ppl;
        row.scored = r.n_scored;
        row.seconds = r.seconds;
        row.weight_bytes = m->weight_bytes();
        row.bits_per_weight = 8.0 * double(m->weight_bytes()) / double(m->weight_count());
        if (rows.empty()) {
            ref_argmax = r.argmax;
            row.top1_agreement = 1.0;
        } else {
            int64_t same = 0;
            for (size_t i = 0; i < r.argmax.size() && i < ref_argmax.size(); ++i) same += r.argmax[i] == ref_argmax[i];
            row.top1_agreement = r.argmax.empty() ? 0 : double(same) / double(r.argmax.size());
            row.delta_pct = 100.0 * (r.ppl / rows.front().ppl - 1.0);
        }
        rows.push_back(row);
    }
    return rows;
}

std::string fidelity_markdown(const std::vector<FidelityRow>& rows) {
    std::ostringstream s;
    s << "| variant | perplexity | delta vs " << (rows.empty() ? "fp16" : rows.front().variant)
      << " | weights (MiB) | bits/weight | top-1 agreement | what |\n";
    s << "| --- | ---: | ---: | ---: | ---: | ---: | --- |\n";
    char buf[256];
    for (const FidelityRow& r : rows) {
        std::snprintf(buf, sizeof buf, "| %s | %.4f | %+.2f%% | %.2f | %.2f | %.2f%% | ", r.variant.c_str(), r.ppl,
                      r.delta_pct, double(r.weight_bytes) / (1 << 20), r.bits_per_weight, 100.0 * r.top1_agreement);
        s << buf << r.description << " |\n";
    }
    return s.str();
}

}  // namespace q8::quant
