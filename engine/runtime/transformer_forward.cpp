// The decoder block of every architecture: (RMS or Layer) norm, Q/K/V (separate or fused, with or
// without biases), RoPE or learned positions, grouped-query attention over the F16 cache, a SwiGLU
// or GELU feed-forward, residuals; then the final norm and head. Biases an architecture lacks are
// empty and skipped.
#include <algorithm>
#include <cmath>

#include "forward_profile.h"
#include "inference_session.h"
#include "kernels.h"
#include "matmul.h"
#include "ops.h"

namespace q8 {

namespace {

void add_bias(float* y, const std::vector<float>& b, int64_t n) {
    if (b.empty()) return;
    const size_t d = b.size();
    for (int64_t t = 0; t < n; ++t)
        for (size_t i = 0; i < d; ++i) y[static_cast<size_t>(t) * d + i] += b[i];
}

void add_into(float* x, const float* y, size_t n) {
    for (size_t i = 0; i < n; ++i) x[i] += y[i];
}

// Normalizes `rows` rows of width e from x into out.
void norm_rows(const ModelConfig& c, const float* x, const std::vector<float>& w, const std::vector<float>& b,
               size_t rows, size_t e, float* out) {
    for (size_t t = 0; t < rows; ++t) {
        if (c.norm == NormKind::Layer) {
            layer_norm(x + t * e, w.data(), b.data(), e, c.norm_eps, out + t * e);
        } else {
            rms_norm(x + t * e, w.data(), e, c.norm_eps, out + t * e);
        }
    }
}

}  // namespace

bool InferenceSession::forward_chunk(const int32_t* ids, int64_t n, Logits want, const std::atomic<bool>* cancel,
                                     const MatmulOptions& products) {
    const Model& m = *model_;
    const ModelConfig& c = m.config;
    const auto e = static_cast<size_t>(c.n_embd);
    const int64_t pos0 = n_past();
    const auto un = static_cast<size_t>(n);
    ForwardProfile* const prof = profile_;
    if (prof != nullptr) {
        prof->tokens += n;
        ++prof->passes;
    }

    timed(prof, ForwardOp::Embedding, [&] {
        for (int64_t t = 0; t < n; ++t) {
            float* x = x_.data() + static_cast<size_t>(t) * e;
            weight_row_to_f32(m.token_embd, ids[t], x);
            if (m.position_embd.rows > 0) {
                weight_row_to_f32(m.position_embd, pos0 + t, tmp_.data());
                add_into(x, tmp_.data(), e);
            }
        }
    });

    const size_t half_rot = inv_freq_.size();
    if (c.positions == PositionKind::Rope) {
        timed(prof, ForwardOp::RopeAndCache, [&] {
            rope_cos_.resize(un * half_rot);
            rope_sin_.resize(un * half_rot);
            for (size_t t = 0; t < un; ++t)
                rope_angles(inv_freq_, pos0 + static_cast<int64_t>(t), &rope_cos_[t * half_rot],
                            &rope_sin_[t * half_rot]);
        });
    }

    const auto q_dim = static_cast<size_t>(c.n_head * c.head_dim);
    const auto kv_dim = static_cast<size_t>(c.n_embd_kv());
    const auto n_ff = static_cast<size_t>(c.n_ff);
    for (int64_t l = 0; l < n_layers_; ++l) {
        if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return false;
        const LayerWeights& L = m.layers[static_cast<size_t>(l)];

        timed(prof, ForwardOp::Norms, [&] { norm_rows(c, x_.data(), L.attn_norm, L.attn_norm_b, un, e, xn_.data()); });
        timed(prof, ForwardOp::QkvProducts, [&] {
            if (L.wqkv.rows > 0) {
                matmul(L.wqkv, xn_.data(), un, qkv_.data(), pool_, products);
                add_bias(qkv_.data(), L.bqkv, n);
                const size_t row = q_dim + 2 * kv_dim;
                for (size_t t = 0; t < un; ++t) {
                    const float* src = &qkv_[t * row];
                    std::copy_n(src, q_dim, &q_[t * q_dim]);
                    std::copy_n(src + q_dim, kv_dim, &k_[t * kv_dim]);
                    std::copy_n(src + q_dim + kv_dim, kv_dim, &v_[t * kv_dim]);
                }
            } else {
                matmul_shared_input({{&L.wq, q_.data()}, {&L.wk, k_.data()}, {&L.wv, v_.data()}}, xn_.data(), un, pool_,
                                    products);
                add_bias(q_.data(), L.bq, n);
                add_bias(k_.data(), L.bk, n);
                add_bias(v_.data(), L.bv, n);
            }
        });
        timed(prof, ForwardOp::RopeAndCache, [&] {
            for (int64_t t = 0; t < n; ++t) {
                const auto ut = static_cast<size_t>(t);
                if (c.positions == PositionKind::Rope) {
                    const float* cs = &rope_cos_[ut * half_rot];
                    const float* sn = &rope_sin_[ut * half_rot];
                    apply_rope(&q_[ut * q_dim], c.n_head, c.head_dim, c.n_rot, c.rope_style, cs, sn);
                    apply_rope(&k_[ut * kv_dim], c.n_head_kv, c.head_dim, c.n_rot, c.rope_style, cs, sn);
                }
                kv_.store(l, pos0 + t, &k_[ut * kv_dim], &v_[ut * kv_dim]);
            }
        });
        timed(prof, ForwardOp::Attention, [&] { attention(l, n, pos0); });
        timed(prof, ForwardOp::AttnOutProduct, [&] {
            matmul(L.wo, att_out_.data(), un, tmp_.data(), pool_, products);
            add_bias(tmp_.data(), L.bo, n);
        });
        timed(prof, ForwardOp::Residuals, [&] { add_into(x_.data(), tmp_.data(), un * e); });

        timed(prof, ForwardOp::Norms, [&] { norm_rows(c, x_.data(), L.ffn_norm, L.ffn_norm_b, un, e, xn_.data()); });
        if (c.ffn == FfnKind::SiluGated) {
            timed(prof, ForwardOp::FfnUpGateProducts, [&] {
                matmul_shared_input({{&L.w_gate, gate_.data()}, {&L.w_up, up_.data()}}, xn_.data(), un, pool_,
                                    products);
            });
            timed(prof, ForwardOp::FfnActivation, [&] { silu_mul(gate_.data(), up_.data(), un * n_ff, up_.data()); });
        } else {
            timed(prof, ForwardOp::FfnUpGateProducts, [&] {
                matmul(L.w_up, xn_.data(), un, up_.data(), pool_, products);
                add_bias(up_.data(), L.b_up, n);
            });
            timed(prof, ForwardOp::FfnActivation, [&] { gelu_tanh(up_.data(), un * n_ff); });
        }
        timed(prof, ForwardOp::FfnDownProduct, [&] {
            matmul(L.w_down, up_.data(), un, tmp_.data(), pool_, products);
            add_bias(tmp_.data(), L.b_down, n);
        });
        timed(prof, ForwardOp::Residuals, [&] { add_into(x_.data(), tmp_.data(), un * e); });
    }
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return false;

    if (want != Logits::None) {
        timed(prof, ForwardOp::Head, [&] {
            const size_t first = want == Logits::All ? 0 : un - 1;
            const size_t rows = un - first;
            norm_rows(c, &x_[first * e], m.output_norm, m.output_norm_b, rows, e, xn_.data());
            chunk_logits_.resize(rows * static_cast<size_t>(c.n_vocab));
            matmul(m.output_matrix(), xn_.data(), rows, chunk_logits_.data(), pool_, products);
        });
    }
    return true;
}

void InferenceSession::attention(int64_t layer, int64_t n, int64_t pos0) {
    const ModelConfig& c = model_->config;
    const int64_t hd = c.head_dim;
    const int64_t group = c.n_head / c.n_head_kv;
    const float scale = 1.f / std::sqrt(static_cast<float>(hd));
    const auto q_dim = static_cast<size_t>(c.n_head * hd);
    const KernelTable& kt = active_kernels();
    const bool f16 = kv_.type() == KvType::F16;
    const KernelTable::ScoresFn scores_of = f16 ? kt.scores_f16 : kt.scores_f32;
    const KernelTable::MixFn mix = f16 ? kt.mix_f16 : kt.mix_f32;
    const size_t stride = kv_.row_bytes();  // bytes per position
    // One task per (token, run of query heads sharing a kv head); each walks the cached keys up to
    // its own position (causal), from the oldest one inside the sliding window when the model has
    // one. The kernels load each key and value once for the whole run. Runs are halved until every
    // thread has two tasks (a decode step of a model with few kv heads).
    int64_t run = group;
    while (run % 2 == 0 && n * (c.n_head / run) < 2 * static_cast<int64_t>(pool_.size())) run /= 2;
    const int64_t runs_per_token = c.n_head / run;
    const auto tasks = static_cast<size_t>(n * runs_per_token);
    pool_.parallel_for(tasks, [&](size_t t0, size_t t1) {
        thread_local std::vector<float> scores;
        const auto ld = static_cast<size_t>(n_ctx_);
        scores.resize(static_cast<size_t>(run) * ld);
        for (size_t task = t0; task < t1; ++task) {
            const int64_t t = static_cast<int64_t>(task) / runs_per_token;
            const int64_t h0 = static_cast<int64_t>(task) % runs_per_token * run;
            const int64_t end = pos0 + t + 1;
            const int64_t first = c.sliding_window > 0 ? std::max<int64_t>(0, end - c.sliding_window) : 0;
            const auto n_pos = static_cast<size_t>(end - first);
            const int64_t head = h0 / group;
            const size_t at = static_cast<size_t>(t) * q_dim + static_cast<size_t>(h0 * hd);
            const auto heads = static_cast<size_t>(run), uhd = static_cast<size_t>(hd);
            scores_of(kv_.k(layer, head, first), stride, n_pos, &q_[at], uhd, heads, uhd, scale, scores.data(), ld);
            for (size_t i = 0; i < heads; ++i) softmax(scores.data() + i * ld, n_pos);
            mix(scores.data(), ld, heads, kv_.v(layer, head, first), stride, n_pos, uhd, &att_out_[at], uhd);
        }
    });
}

}  // namespace q8
