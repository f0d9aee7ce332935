// Speculative verification scores k drafted tokens in one call, and greedy speculation must equal
// plain greedy decoding token for token; that holds only if a token's outputs do not depend on
// how many tokens share the call. These tests demand bit-identical results: every batched kernel
// of every instruction set this CPU runs against its single-token kernel, and matmul over n tokens
// against n one-token calls, for every weight layout, with float and int8 activations and with 1
// and 2 threads.
#include <QtTest>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "cpu_features.h"
#include "kernel_tables.h"
#include "kernels.h"
#include "matmul.h"
#include "thread_pool.h"
#include "weight_formats.h"
#include "weight_matrices.h"
#include "weight_quant.h"

using q8::Isa;
using q8::KernelTable;

namespace {

bool same_bits(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); }

std::vector<float> random_floats(size_t n, std::mt19937& rng, float scale = 1.f) {
    std::normal_distribution<float> d(0.f, scale);
    std::vector<float> v(n);
    for (float& f : v) f = d(rng);
    return v;
}

std::vector<int8_t> random_i8(size_t n, std::mt19937& rng) {
    std::uniform_int_distribution<int> d(-127, 127);
    std::vector<int8_t> v(n);
    for (int8_t& q : v) q = static_cast<int8_t>(d(rng));
    return v;
}

enum class Fmt { F32, F16, BF16, Q8_0, Q4_0, Q4G, Q4GA };

// One row of `n` values in `fmt`, from random floats.
std::vector<uint8_t> make_row(Fmt fmt, size_t n, size_t group, std::mt19937& rng) {
    const std::vector<float> v = random_floats(n, rng);
    std::vector<uint8_t> out;
    switch (fmt) {
    case Fmt::F32:
        out.resize(n * 4);
        std::memcpy(out.data(), v.data(), n * 4);
        break;
    case Fmt::F16:
    case Fmt::BF16:
        out.resize(n * 2);
        for (size_t i = 0; i < n; ++i) {
            const uint32_t b = std::bit_cast<uint32_t>(v[i]);
            const uint16_t h = fmt == Fmt::BF16 ? static_cast<uint16_t>(b >> 16)
                                                : static_cast<uint16_t>(0x3000u | (b & 0x83ffu));  // finite halves
            std::memcpy(out.data() + 2 * i, &h, 2);
        }
        break;
    case Fmt::Q8_0:
        out.resize(n / 32 * 34);
        q8::quant::quantize_row_q8_0(v.data(), out.data(), n);
        break;
    case Fmt::Q4_0:
        out.resize(n / 32 * 18);
        q8::quant::quantize_row_q4_0(v.data(), out.data(), n);
        break;
    case Fmt::Q4G:
    case Fmt::Q4GA:
        out.resize(n / group * q8::quant::q4g_block_bytes(group, fmt == Fmt::Q4GA));
        q8::quant::quantize_row_q4g(v.data(), out.data(), n, group, fmt == Fmt::Q4GA);
        break;
    }
    return out;
}

KernelTable::DotBatchFn batch_of(const KernelTable& k, Fmt f) {
    switch (f) {
    case Fmt::F32: return k.batch_f32;
    case Fmt::F16: return k.batch_f16;
    case Fmt::BF16: return k.batch_bf16;
    case Fmt::Q8_0: return k.batch_q8_0;
    case Fmt::Q4_0: return k.batch_q4_0;
    case Fmt::Q4G: return k.batch_q4g;
    case Fmt::Q4GA: return k.batch_q4ga;
    }
    return nullptr;
}

float single_of(const KernelTable& k, Fmt f, const void* w, const float* x, size_t n, size_t group) {
    switch (f) {
    case Fmt::F32: return k.dot_f32(w, x, n);
    case Fmt::F16: return k.dot_f16(w, x, n);
    case Fmt::BF16: return k.dot_bf16(w, x, n);
    case Fmt::Q8_0: return k.dot_q8_0(w, x, n);
    case Fmt::Q4_0: return k.dot_q4_0(w, x, n);
    case Fmt::Q4G: return k.dot_q4g(w, x, n, group);
    case Fmt::Q4GA: return k.dot_q4ga(w, x, n, group);
    }
    return 0.f;
}

}  // namespace

class TestBatchedKernels : public QObject {
    Q_OBJECT

private slots:
    void float_activations_data() {
        QTest::addColumn<int>("isa");
        QTest::addColumn<int>("fmt");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("group");
        struct Case {
            Fmt f;
            const char* name;
            std::vector<int> lengths;
            int group;
        };
        const std::vector<Case> cases{
            {Fmt::F32, "f32", {1, 15, 16, 17, 63, 64, 65, 100, 1000}, 0},
            {Fmt::F16, "f16", {1, 15, 16, 17, 63, 64, 65, 100, 1000}, 0},
            {Fmt::BF16, "bf16", {1, 15, 16, 17, 63, 64, 65, 100, 1000}, 0},
            {Fmt::Q8_0, "q8_0", {32, 64, 96, 160, 1024}, 0},
            {Fmt::Q4_0, "q4_0", {32, 64, 96, 160, 1024}, 32},
            {Fmt::Q4G, "q4g32", {32, 96, 1024}, 32},
            {Fmt::Q4G, "q4g64", {64, 192, 1024}, 64},
            {Fmt::Q4G, "q4g128", {128, 384, 1024}, 128},
            {Fmt::Q4GA, "q4ga32", {32, 96, 1024}, 32},
            {Fmt::Q4GA, "q4ga128", {128, 384}, 128},
        };
        for (Isa isa : kAllIsas) {
            if (isa > q8::best_supported_isa()) continue;  // rows for paths this CPU cannot run are not added
            for (const Case& c : cases) {
                for (int n : c.lengths) {
                    QTest::addRow("%s/%s/n%d", name_of(isa), c.name, n)
                        << static_cast<int>(isa) << static_cast<int>(c.f) << n << c.group;
                }
            }
        }
    }

    void float_activations() {
        QFETCH(int, isa);
        QFETCH(int, fmt);
        QFETCH(int, n);
        QFETCH(int, group);
        const KernelTable& k = table_of(static_cast<Isa>(isa));
        const auto f = static_cast<Fmt>(fmt);
        std::mt19937 rng(static_cast<uint32_t>(n * 131 + fmt * 7 + isa));
        const std::vector<uint8_t> w = make_row(f, static_cast<size_t>(n), static_cast<size_t>(group), rng);
        for (size_t n_tok : {size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{5}, size_t{8}, size_t{9}}) {
            const size_t ldx = static_cast<size_t>(n) + 3;  // rows of x not packed: ldx is honoured
            const std::vector<float> x = random_floats(ldx * n_tok, rng);
            std::vector<float> y(2 * n_tok, -1.f);
            batch_of(k, f)(w.data(), x.data(), ldx, n_tok, static_cast<size_t>(n), static_cast<size_t>(group), y.data(),
                           2);
            for (size_t t = 0; t < n_tok; ++t) {
                const float want =
                    single_of(k, f, w.data(), x.data() + t * ldx, static_cast<size_t>(n), static_cast<size_t>(group));
                QVERIFY2(same_bits(y[2 * t], want),
                         qPrintable(QStringLiteral("n_tok %1, token %2: batched %3, single %4")
                                        .arg(n_tok)
                                        .arg(t)
                                        .arg(y[2 * t], 0, 'g', 9)
                                        .arg(want, 0, 'g', 9)));
                QCOMPARE(y[2 * t + 1], -1.f);  // ldy respected: nothing written between outputs
            }
        }
    }

    void int8_activations_data() {
        QTest::addColumn<int>("isa");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("group");  // 0: I8Row; else Q4G group (negative: asymmetric)
        for (Isa isa : kAllIsas) {
            if (isa > q8::best_supported_isa()) continue;
            for (int n : {64, 128, 192, 1024, 1088})
                QTest::addRow("%s/i8/n%d", name_of(isa), n) << static_cast<int>(isa) << n << 0;
            for (int g : {32, 64, 128, -32, -128})
                for (int n : {128, 384, 1024})
                    QTest::addRow("%s/q4g%s%d/n%d", name_of(isa), g < 0 ? "a" : "", std::abs(g), n)
                        << static_cast<int>(isa) << n << g;
        }
    }

    void int8_activations() {
        QFETCH(int, isa);
        QFETCH(int, n);
        QFETCH(int, group);
        const KernelTable& k = table_of(static_cast<Isa>(isa));
        std::mt19937 rng(static_cast<uint32_t>(n * 17 + group + isa));
        const auto un = static_cast<size_t>(n);
        const auto g = static_cast<size_t>(std::abs(group));
        std::vector<uint8_t> w;
        int32_t w_sum = 0;
        if (group == 0) {
            const std::vector<int8_t> q = random_i8(un, rng);
            for (int8_t v : q) w_sum += v;
            w.assign(reinterpret_cast<const uint8_t*>(q.data()), reinterpret_cast<const uint8_t*>(q.data()) + un);
        } else {
            w = make_row(group < 0 ? Fmt::Q4GA : Fmt::Q4G, un, g, rng);
        }
        const KernelTable::DotBatchA8Fn batch = group == 0 ? k.batch_i8 : group < 0 ? k.batch_q4ga_a8 : k.batch_q4g_a8;
        for (size_t n_tok : {size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{6}, size_t{9}}) {
            const std::vector<int8_t> x = random_i8(un * n_tok, rng);
            std::vector<float> y(n_tok);
            batch(w.data(), x.data(), un, n_tok, un, g, w_sum, y.data(), 1);
            for (size_t t = 0; t < n_tok; ++t) {
                const int8_t* xt = x.data() + t * un;
                const float want =
                    group == 0  ? static_cast<float>(k.dot_i8(reinterpret_cast<const int8_t*>(w.data()), xt, un, w_sum))
                    : group < 0 ? k.dot_q4ga_a8(w.data(), xt, un, g)
                                : k.dot_q4g_a8(w.data(), xt, un, g);
                QVERIFY2(same_bits(y[t], want), qPrintable(QStringLiteral("n_tok %1, token %2: batched %3, single %4")
                                                               .arg(n_tok)
                                                               .arg(t)
                                                               .arg(y[t], 0, 'g', 9)
                                                               .arg(want, 0, 'g', 9)));
            }
        }
    }

    // Split (repacked) Q4 rows: every ISA against a double-precision reference built from the
    // decoded row, and batched calls bit-identical to one-token calls.
    void q4_split_data() {
        QTest::addColumn<int>("isa");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("group");
        QTest::addColumn<bool>("asym");
        QTest::addColumn<bool>("a8");
        for (Isa isa : kAllIsas) {
            if (isa > q8::best_supported_isa()) continue;
            for (int g : {32, 64, 128})
                for (bool asym : {false, true})
                    for (bool a8 : {false, true})
                        for (int n : {128, 384, 2048})
                            QTest::addRow("%s/g%d%s/%s/n%d", name_of(isa), g, asym ? "a" : "", a8 ? "a8" : "f32", n)
                                << static_cast<int>(isa) << n << g << asym << a8;
        }
    }

    void q4_split() {
        QFETCH(int, isa);
        QFETCH(int, n);
        QFETCH(int, group);
        QFETCH(bool, asym);
        QFETCH(bool, a8);
        const KernelTable& k = table_of(static_cast<Isa>(isa));
        const auto un = static_cast<size_t>(n), g = static_cast<size_t>(group);
        std::mt19937 rng(static_cast<uint32_t>(n + group * 3 + asym * 5 + a8 * 7 + isa * 11));
        const std::vector<uint8_t> blocks = make_row(asym ? Fmt::Q4GA : Fmt::Q4G, un, g, rng);
        std::vector<uint8_t> split(blocks.size());
        q8::quant::q4g_to_split(blocks.data(), split.data(), un, g, asym);
        std::vector<float> wf(un), back(un);
        q8::quant::dequantize_row_q4g(blocks.data(), wf.data(), un, g, asym);
        q8::quant::dequantize_row_q4split(split.data(), back.data(), un, g, asym);
        QVERIFY(back == wf);  // the split arrangement holds the same values
        for (size_t n_tok : {size_t{1}, size_t{3}, size_t{4}, size_t{6}}) {
            std::vector<float> xf(un * n_tok);
            std::vector<int8_t> xi(un * n_tok);
            if (a8) {
                xi = random_i8(un * n_tok, rng);
                for (size_t i = 0; i < xi.size(); ++i) xf[i] = xi[i];
            } else {
                xf = random_floats(un * n_tok, rng);
            }
            const size_t ng = un / g;
            std::vector<float> xpf(un * n_tok), sums(ng * n_tok), y(n_tok), one(1);
            std::vector<int8_t> xpi(un * n_tok);
            for (size_t t = 0; t < n_tok; ++t) {
                if (a8) {
                    q8::quant::q4split_order_i8(xi.data() + t * un, xpi.data() + t * un, sums.data() + t * ng, un, g);
                } else {
                    q8::quant::q4split_order_f32(xf.data() + t * un, xpf.data() + t * un, sums.data() + t * ng, un, g);
                }
            }
            auto call = [&](size_t t0, size_t nt, float* out) {
                if (a8) {
                    k.batch_q4s_a8(split.data(), xpi.data() + t0 * un, sums.data() + t0 * ng, un, ng, nt, un, g, asym,
                                   out, 1);
                } else {
                    k.batch_q4s(split.data(), xpf.data() + t0 * un, sums.data() + t0 * ng, un, ng, nt, un, g, asym, out,
                                1);
                }
            };
            call(0, n_tok, y.data());
            for (size_t t = 0; t < n_tok; ++t) {
                double want = 0, mag = 0;
                for (size_t i = 0; i < un; ++i) {
                    want += double(wf[i]) * xf[t * un + i];
                    mag += std::abs(double(wf[i]) * xf[t * un + i]);
                }
                QVERIFY2(
                    std::abs(y[t] - want) <= 1e-5 * mag + 1e-6,
                    qPrintable(
                        QStringLiteral("token %1: got %2, want %3").arg(t).arg(y[t], 0, 'g', 9).arg(want, 0, 'g', 9)));
                call(t, 1, one.data());
                QVERIFY2(
                    same_bits(one[0], y[t]),
                    qPrintable(QStringLiteral("n_tok %1, token %2: batched differs from alone").arg(n_tok).arg(t)));
            }
        }
    }

    void bf16_prompt_path();
    void prompt_path_matches_row_kernels_data();
    void prompt_path_matches_row_kernels();

    // matmul over n tokens == n one-token matmuls, bit for bit, for every layout the loader makes.
    void matmul_independent_of_batch_data() {
        QTest::addColumn<int>("layout");
        QTest::addColumn<int>("type");
        QTest::addColumn<int>("group");
        QTest::addColumn<bool>("int8_act");
        QTest::addColumn<int>("threads");
        QTest::addColumn<bool>("split");
        using L = q8::WeightLayout;
        using T = q8::GgmlType;
        struct Target {
            const char* name;
            L layout;
            T type;
            int group;
            bool a8;
            bool split = false;
        };
        const Target targets[] = {
            {"f16", L::Ggml, T::F16, 0, false},
            {"q8_0", L::Ggml, T::Q8_0, 0, false},
            {"q4_0", L::Ggml, T::Q4_0, 0, false},
            {"q4g64", L::Q4Group, T::F32, 64, false},
            {"q4ga32", L::Q4GroupAsym, T::F32, 32, false},
            {"i8/a8", L::I8Row, T::F32, 0, true},
            {"q4g32/a8", L::Q4Group, T::F32, 32, true},
            {"q4ga128/a8", L::Q4GroupAsym, T::F32, 128, true},
            {"q4g32/split", L::Q4Group, T::F32, 32, false, true},
            {"q4ga64/split", L::Q4GroupAsym, T::F32, 64, false, true},
            {"q4g32/split/a8", L::Q4Group, T::F32, 32, true, true},
            {"q4ga128/split/a8", L::Q4GroupAsym, T::F32, 128, true, true},
        };
        for (const Target& t : targets)
            for (int threads : {1, 2})
                QTest::addRow("%s/t%d", t.name, threads)
                    << static_cast<int>(t.layout) << static_cast<int>(t.type) << t.group << t.a8 << threads << t.split;
    }

    void matmul_independent_of_batch() {
        QFETCH(int, layout);
        QFETCH(int, type);
        QFETCH(int, group);
        QFETCH(bool, int8_act);
        QFETCH(int, threads);
        QFETCH(bool, split);
        constexpr int64_t rows = 48, cols = 256;
        std::mt19937 rng(99);
        const std::vector<float> dense = random_floats(static_cast<size_t>(rows * cols), rng, 0.05f);
        q8::WeightTarget target;
        target.layout = static_cast<q8::WeightLayout>(layout);
        target.type = static_cast<q8::GgmlType>(type);
        target.group = static_cast<uint32_t>(group == 0 ? 32 : group);
        target.int8_activations = int8_act;
        const q8::WeightMatrix w = make_matrix(rows, cols, dense, target, split);
        q8::ThreadPool pool(threads);
        const q8::MatmulOptions exact{q8::BatchArithmetic::Exact};  // what speculative verification runs with
        for (size_t n : {size_t{2}, size_t{5}, size_t{9}, size_t{17}}) {
            const std::vector<float> x = random_floats(n * cols, rng);
            std::vector<float> batched(n * rows);
            q8::matmul(w, x.data(), n, batched.data(), pool, exact);
            for (size_t t = 0; t < n; ++t) {
                std::vector<float> one(rows);
                q8::matmul(w, x.data() + t * cols, 1, one.data(), pool, exact);
                for (int64_t r = 0; r < rows; ++r) {
                    QVERIFY2(same_bits(one[r], batched[t * rows + r]),
                             qPrintable(QStringLiteral("n %1, token %2, row %3: batched %4, alone %5")
                                            .arg(n)
                                            .arg(t)
                                            .arg(r)
                                            .arg(batched[t * rows + r], 0, 'g', 9)
                                            .arg(one[r], 0, 'g', 9)));
                }
            }
        }
    }
};

// With F32 arithmetic (the default), prompts of 8+ tokens take the register-blocked path: same values up to
// summation order, for every layout it serves (and odd row and column counts for the tails).
void TestBatchedKernels::prompt_path_matches_row_kernels_data() {
    QTest::addColumn<int>("layout");
    QTest::addColumn<int>("type");
    QTest::addColumn<int>("group");
    QTest::addColumn<int>("cols");
    QTest::addColumn<bool>("split");
    using L = q8::WeightLayout;
    using T = q8::GgmlType;
    QTest::addRow("f16/odd") << int(L::Ggml) << int(T::F16) << 0 << 200 << false;
    QTest::addRow("q8_0") << int(L::Ggml) << int(T::Q8_0) << 0 << 256 << false;
    QTest::addRow("q4g32/split") << int(L::Q4Group) << int(T::F32) << 32 << 256 << true;
    QTest::addRow("q4ga64/split") << int(L::Q4GroupAsym) << int(T::F32) << 64 << 384 << true;
}

void TestBatchedKernels::prompt_path_matches_row_kernels() {
    QFETCH(int, layout);
    QFETCH(int, type);
    QFETCH(int, group);
    QFETCH(int, cols);
    QFETCH(bool, split);
    constexpr int64_t rows = 50;  // not a multiple of the 16-row blocks or the 4-row tiles
    std::mt19937 rng(5);
    const std::vector<float> dense = random_floats(static_cast<size_t>(rows * cols), rng, 0.05f);
    q8::WeightTarget target;
    target.layout = static_cast<q8::WeightLayout>(layout);
    target.type = static_cast<q8::GgmlType>(type);
    target.group = static_cast<uint32_t>(group == 0 ? 32 : group);
    const q8::WeightMatrix w = make_matrix(rows, cols, dense, target, split);
    for (int threads : {1, 2}) {
        q8::ThreadPool pool(threads);
        for (size_t n : {size_t{8}, size_t{13}, size_t{33}}) {
            const std::vector<float> x = random_floats(n * size_t(cols), rng);
            std::vector<float> fast(n * rows), exact(n * rows);
            q8::matmul(w, x.data(), n, fast.data(), pool);
            q8::matmul(w, x.data(), n, exact.data(), pool, {q8::BatchArithmetic::Exact});
            for (size_t i = 0; i < fast.size(); ++i) {
                QVERIFY2(std::abs(fast[i] - exact[i]) <= 1e-5f * (1.f + std::abs(exact[i])),
                         qPrintable(QStringLiteral("n %1, output %2: prompt path %3, row kernels %4")
                                        .arg(n)
                                        .arg(i)
                                        .arg(fast[i])
                                        .arg(exact[i])));
            }
        }
    }
}

// BF16 prompt products (oneDNN) against F32 ones: within bf16 rounding of both operands. On a CPU
// without bf16 arithmetic BF16 falls back to F32, which must then match exactly. Exact products of
// the same batch equal, bit for bit, the one-token products a BF16 session decodes with (what
// speculative verification relies on; test_speculative checks it through a session).
void TestBatchedKernels::bf16_prompt_path() {
    constexpr int64_t rows = 300, cols = 512;  // rows: two 128-row blocks and a partial one
    std::mt19937 rng(8);
    const std::vector<float> dense = random_floats(static_cast<size_t>(rows * cols), rng, 0.05f);
    for (auto [layout, type] :
         {std::pair{q8::WeightLayout::Ggml, q8::GgmlType::F16}, {q8::WeightLayout::Ggml, q8::GgmlType::Q8_0}}) {
        q8::WeightTarget target;
        target.layout = layout;
        target.type = type;
        const q8::WeightMatrix w = make_matrix(rows, cols, dense, target);
        q8::ThreadPool pool(2);
        constexpr size_t n = 24;
        const std::vector<float> x = random_floats(n * size_t(cols), rng);
        std::vector<float> f32(n * rows), bf16(n * rows), exact(n * rows), one(rows);
        q8::matmul(w, x.data(), n, f32.data(), pool, {q8::BatchArithmetic::F32});
        q8::matmul(w, x.data(), n, bf16.data(), pool, {q8::BatchArithmetic::BF16});
        q8::matmul(w, x.data(), n, exact.data(), pool, {q8::BatchArithmetic::Exact});
        q8::matmul(w, x.data() + (n - 1) * cols, 1, one.data(), pool, {q8::BatchArithmetic::BF16});
        const bool has_bf16 =
            q8::cpu_features().avx512_bf16 || (q8::cpu_features().amx_bf16 && q8::cpu_features().amx_permitted);
        double err = 0, mag = 0;
        for (size_t i = 0; i < f32.size(); ++i) {
            err = std::max(err, double(std::abs(bf16[i] - f32[i])));
            mag = std::max(mag, double(std::abs(f32[i])));
        }
        if (has_bf16) {
            QVERIFY2(err > 0, "the bf16 path did not run");
            QVERIFY2(err <= 2e-2 * mag,
                     qPrintable(QStringLiteral("bf16 vs f32: max error %1, max value %2").arg(err).arg(mag)));
        } else {
            QCOMPARE(err, 0.0);
        }
        for (int64_t r = 0; r < rows; ++r) QVERIFY(same_bits(exact[(n - 1) * rows + size_t(r)], one[size_t(r)]));
    }
}

QTEST_GUILESS_MAIN(TestBatchedKernels)
#include "test_batched_kernels.moc"
