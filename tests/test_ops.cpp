// The per-row operations of the transformer block against direct double-precision references:
// rms_norm, layer_norm, gelu_tanh, silu_mul, softmax (normalised, stable for large inputs), rope_inv_freq (with and
// without frequency factors) and apply_rope in both pairings (Normal (2i, 2i+1), Neox
// (i, i + n_rot/2)), including partial rotation, plus RoPE's invariants: it preserves each head's
// norm, and <rope(q, m), rope(k, n)> depends only on m - n.
#include <QtTest>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "model_config.h"
#include "ops.h"

using q8::RopeStyle;

namespace {

std::vector<float> random_vec(std::mt19937& g, size_t n, float lo = -2.f, float hi = 2.f) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (float& x : v) x = d(g);
    return v;
}

// |got - want| <= rel * |want| + abs, element by element; reports the first miss.
bool all_close(const std::vector<float>& got, const std::vector<double>& want, double rel, double abs, QString* why) {
    if (got.size() != want.size()) {
        *why = QStringLiteral("size %1, want %2").arg(got.size()).arg(want.size());
        return false;
    }
    for (size_t i = 0; i < got.size(); ++i) {
        const double err = std::fabs(double(got[i]) - want[i]);
        if (!(err <= rel * std::fabs(want[i]) + abs)) {
            *why =
                QStringLiteral("[%1] got %2, want %3").arg(i).arg(double(got[i]), 0, 'g', 9).arg(want[i], 0, 'g', 12);
            return false;
        }
    }
    return true;
}

q8::ModelConfig rope_config(int64_t n_rot, float base) {
    q8::ModelConfig c;
    c.n_rot = n_rot;
    c.head_dim = n_rot;
    c.rope_base = base;
    return c;
}

// Direct RoPE: for each pair index i < n_rot/2 at angle pos * inv_freq[i], rotate the pair
// (2i, 2i+1) (Normal) or (i, i + n_rot/2) (Neox) of every head; the other dims are untouched.
std::vector<double> ref_rope(const std::vector<float>& x, int64_t n_heads, int64_t head_dim, int64_t n_rot,
                             RopeStyle style, const std::vector<float>& inv_freq, int64_t pos) {
    std::vector<double> y(x.begin(), x.end());
    for (int64_t h = 0; h < n_heads; ++h) {
        for (int64_t i = 0; i < n_rot / 2; ++i) {
            const int64_t a = h * head_dim + (style == RopeStyle::Normal ? 2 * i : i);
            const int64_t b = h * head_dim + (style == RopeStyle::Normal ? 2 * i + 1 : i + n_rot / 2);
            const double th = double(pos) * double(inv_freq[static_cast<size_t>(i)]);
            const double x0 = x[static_cast<size_t>(a)], x1 = x[static_cast<size_t>(b)];
            y[static_cast<size_t>(a)] = x0 * std::cos(th) - x1 * std::sin(th);
            y[static_cast<size_t>(b)] = x0 * std::sin(th) + x1 * std::cos(th);
        }
    }
    return y;
}

std::vector<float> roped(std::vector<float> x, int64_t n_heads, int64_t head_dim, int64_t n_rot, RopeStyle style,
                         const std::vector<float>& inv_freq, int64_t pos) {
    std::vector<float> cs(inv_freq.size()), sn(inv_freq.size());
    q8::rope_angles(inv_freq, pos, cs.data(), sn.data());
    q8::apply_rope(x.data(), n_heads, head_dim, n_rot, style, cs.data(), sn.data());
    return x;
}

double dot(const float* a, const float* b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; ++i) s += double(a[i]) * double(b[i]);
    return s;
}

}  // namespace

Q_DECLARE_METATYPE(RopeStyle)

class TestOps : public QObject {
    Q_OBJECT

private slots:
    // ------------------------------------------------------------ rms_norm

    void rms_norm_data() {
        QTest::addColumn<int>("n");
        QTest::addColumn<float>("eps");
        QTest::addColumn<float>("scale");  // magnitude of x
        for (int n : {1, 7, 64, 4096}) {
            QTest::addRow("n=%d", n) << n << 1e-5f << 1.f;
            QTest::addRow("n=%d large x", n) << n << 1e-6f << 1e3f;
            QTest::addRow("n=%d small x, eps matters", n) << n << 1e-2f << 1e-2f;
        }
    }
    void rms_norm() {
        QFETCH(int, n);
        QFETCH(float, eps);
        QFETCH(float, scale);
        std::mt19937 g(static_cast<unsigned>(n));
        const auto un = static_cast<size_t>(n);
        std::vector<float> x = random_vec(g, un);
        for (float& v : x) v *= scale;
        const std::vector<float> w = random_vec(g, un, 0.5f, 1.5f);
        std::vector<float> out(un, std::numeric_limits<float>::quiet_NaN());
        q8::rms_norm(x.data(), w.data(), un, eps, out.data());
        double ss = 0;
        for (float v : x) ss += double(v) * double(v);
        const double inv = 1.0 / std::sqrt(ss / double(n) + double(eps));
        std::vector<double> want(un);
        for (size_t i = 0; i < un; ++i) want[i] = double(x[i]) * inv * double(w[i]);
        QString why;
        QVERIFY2(all_close(out, want, 1e-6, 1e-30, &why), qPrintable(why));
    }

    void rms_norm_known() {
        // x = {3, 4}: rms = sqrt(12.5); with w = {1, 2}: {3, 8} / sqrt(12.5).
        const float x[2] = {3.f, 4.f}, w[2] = {1.f, 2.f};
        float out[2];
        q8::rms_norm(x, w, 2, 0.f, out);
        QVERIFY(std::fabs(out[0] - float(3 / std::sqrt(12.5))) <= 1e-6f);
        QVERIFY(std::fabs(out[1] - float(8 / std::sqrt(12.5))) <= 1e-6f);
        // A zero row stays zero (eps keeps it finite).
        const float z[3] = {0.f, 0.f, 0.f}, ones[3] = {1.f, 1.f, 1.f};
        float oz[3];
        q8::rms_norm(z, ones, 3, 1e-6f, oz);
        for (float v : oz) QCOMPARE(v, 0.f);
    }

    // ------------------------------------------------------------ layer_norm

    void layer_norm_data() {
        QTest::addColumn<int>("n");
        QTest::addColumn<float>("eps");
        QTest::addColumn<float>("offset");  // added to every x: LayerNorm removes it
        for (int n : {1, 7, 64, 4096}) {
            QTest::addRow("n=%d", n) << n << 1e-5f << 0.f;
            QTest::addRow("n=%d large mean", n) << n << 1e-5f << 300.f;
            QTest::addRow("n=%d eps matters", n) << n << 1.f << 0.f;
        }
    }
    void layer_norm() {
        QFETCH(int, n);
        QFETCH(float, eps);
        QFETCH(float, offset);
        std::mt19937 g(static_cast<unsigned>(n) + 11);
        const auto un = static_cast<size_t>(n);
        std::vector<float> x = random_vec(g, un);
        for (float& v : x) v += offset;
        const std::vector<float> w = random_vec(g, un, 0.5f, 1.5f);
        const std::vector<float> b = random_vec(g, un, -1.f, 1.f);
        std::vector<float> out(un, std::numeric_limits<float>::quiet_NaN());
        q8::layer_norm(x.data(), w.data(), b.data(), un, eps, out.data());
        double mean = 0;
        for (float v : x) mean += double(v);
        mean /= double(n);
        double var = 0;
        for (float v : x) var += (double(v) - mean) * (double(v) - mean);
        const double inv = 1.0 / std::sqrt(var / double(n) + double(eps));
        std::vector<double> want(un);
        for (size_t i = 0; i < un; ++i) want[i] = (double(x[i]) - mean) * inv * double(w[i]) + double(b[i]);
        QString why;
        // The float subtraction of a large mean costs up to |mean| * 2^-24 per value.
        QVERIFY2(all_close(out, want, 1e-5, 1e-5 * (1.0 + double(offset)), &why), qPrintable(why));
    }

    void layer_norm_known() {
        // x = {1, 3}: mean 2, variance 1, so the normalized row is {-1, 1}; then * w + b.
        const float x[2] = {1.f, 3.f}, w[2] = {2.f, 3.f}, b[2] = {0.5f, -0.5f};
        float out[2];
        q8::layer_norm(x, w, b, 2, 0.f, out);
        QVERIFY(std::fabs(out[0] - (-2.f + 0.5f)) <= 1e-6f);
        QVERIFY(std::fabs(out[1] - (3.f - 0.5f)) <= 1e-6f);
        // A constant row normalizes to zero and leaves the bias (eps keeps it finite).
        const float c[3] = {5.f, 5.f, 5.f}, ones[3] = {1.f, 1.f, 1.f}, bias[3] = {1.f, 2.f, 3.f};
        float oc[3];
        q8::layer_norm(c, ones, bias, 3, 1e-5f, oc);
        for (int i = 0; i < 3; ++i) QCOMPARE(oc[i], bias[i]);
    }

    // ------------------------------------------------------------ gelu_tanh

    void gelu_tanh() {
        std::mt19937 g(5);
        std::vector<float> x = random_vec(g, 1000, -8.f, 8.f);
        x.insert(x.end(), {0.f, 1.f, -1.f, 20.f, -20.f, 1e4f, -1e4f});
        std::vector<double> want(x.size());
        for (size_t i = 0; i < x.size(); ++i) {
            const double v = x[i];
            want[i] = 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (v + 0.044715 * v * v * v)));
        }
        std::vector<float> out = x;
        q8::gelu_tanh(out.data(), out.size());
        QString why;
        QVERIFY2(all_close(out, want, 1e-5, 1e-6, &why), qPrintable(why));
        // Known values (PyTorch's gelu(approximate="tanh")): gelu(1) = 0.841192, gelu(-1) =
        // -0.158808; identity for large x, 0 (not NaN) for very negative x.
        QCOMPARE(out[1000], 0.f);
        QVERIFY(std::fabs(out[1001] - 0.841192f) < 1e-5f);
        QVERIFY(std::fabs(out[1002] + 0.158808f) < 1e-5f);
        QCOMPARE(out[1005], 1e4f);
        QVERIFY(std::isfinite(out[1006]) && std::fabs(out[1006]) < 1e-30f);
    }

    // ------------------------------------------------------------ silu_mul

    void silu_mul() {
        std::mt19937 g(3);
        std::vector<float> gate = random_vec(g, 1000, -12.f, 12.f);
        gate.insert(gate.end(), {0.f, -0.f, 1e-8f, -100.f, 100.f, -1000.f, 1000.f, 88.f, -88.f, -200.f});
        const std::vector<float> up = random_vec(g, gate.size(), -3.f, 3.f);
        std::vector<float> out(gate.size(), std::numeric_limits<float>::quiet_NaN());
        q8::silu_mul(gate.data(), up.data(), gate.size(), out.data());
        std::vector<double> want(gate.size());
        for (size_t i = 0; i < gate.size(); ++i) {
            const double x = gate[i];
            want[i] = x / (1.0 + std::exp(-x)) * double(up[i]);
        }
        QString why;
        QVERIFY2(all_close(out, want, 1e-6, 1e-37, &why), qPrintable(why));
        // Known values: silu(0) = 0, silu(x) -> x for large x, -> 0 (not NaN) for very negative x.
        QCOMPARE(out[1000], 0.f);
        QCOMPARE(out[1006], 1000.f * up[1006]);
        QVERIFY(std::isfinite(out[1005]) && std::fabs(out[1005]) < 1e-30f);
    }

    // ------------------------------------------------------------ softmax

    void softmax_data() {
        QTest::addColumn<std::vector<float>>("x");
        std::mt19937 g(4);
        QTest::newRow("single") << std::vector<float>{3.5f};
        QTest::newRow("equal") << std::vector<float>(10, 2.f);
        QTest::newRow("random 7") << random_vec(g, 7, -5.f, 5.f);
        QTest::newRow("random 1000") << random_vec(g, 1000, -10.f, 10.f);
        QTest::newRow("large 1e4") << std::vector<float>{1e4f, 1e4f - 1.f, 1e4f - 2.f, 9000.f};
        QTest::newRow("large negative -1e4") << std::vector<float>{-1e4f, -1e4f + 0.5f, -1e4f - 3.f};
        QTest::newRow("mixed 1e4 and -1e4") << std::vector<float>{1e4f, -1e4f, 0.f, 1e4f};
        QTest::newRow("huge 1e30") << std::vector<float>{1e30f, 1e30f, 0.f};
        QTest::newRow("masked -inf") << std::vector<float>{1.f, -std::numeric_limits<float>::infinity(), 2.f,
                                                           -std::numeric_limits<float>::infinity()};
    }
    void softmax() {
        QFETCH(std::vector<float>, x);
        std::vector<float> y = x;
        q8::softmax(y.data(), y.size());
        double mx = -std::numeric_limits<double>::infinity();
        for (float v : x) mx = std::max(mx, double(v));
        std::vector<double> want(x.size());
        double sum = 0;
        for (size_t i = 0; i < x.size(); ++i) sum += want[i] = std::exp(double(x[i]) - mx);
        for (double& v : want) v /= sum;
        QString why;
        QVERIFY2(all_close(y, want, 1e-5, 1e-7, &why), qPrintable(why));
        double total = 0;
        for (float v : y) {
            QVERIFY(std::isfinite(v) && v >= 0.f && v <= 1.f);
            total += v;
        }
        QVERIFY2(std::fabs(total - 1.0) <= 1e-5, qPrintable(QStringLiteral("sum %1").arg(total, 0, 'g', 10)));
    }

    // ------------------------------------------------------------ rope_inv_freq

    void rope_inv_freq() {
        for (int64_t n_rot : {2, 64, 128}) {
            for (float base : {10000.f, 500000.f, 1e6f}) {
                const q8::ModelConfig c = rope_config(n_rot, base);
                const std::vector<float> f = q8::rope_inv_freq(c, {});
                QCOMPARE(f.size(), static_cast<size_t>(n_rot / 2));
                std::vector<double> want(f.size());
                for (size_t i = 0; i < f.size(); ++i)
                    want[i] = std::pow(double(base), -2.0 * double(i) / double(n_rot));
                QString why;
                QVERIFY2(all_close(f, want, 1e-6, 0, &why),
                         qPrintable(QStringLiteral("n_rot=%1 base=%2: ").arg(n_rot).arg(base) + why));
                QCOMPARE(f[0], 1.f);
            }
        }
        // Frequency factors divide pair by pair (Llama 3 style long-context scaling).
        const q8::ModelConfig c = rope_config(8, 10000.f);
        const std::vector<float> factors{1.f, 2.f, 8.f, 0.5f};
        const std::vector<float> f = q8::rope_inv_freq(c, factors);
        std::vector<double> want(4);
        for (size_t i = 0; i < 4; ++i) want[i] = std::pow(10000.0, -2.0 * double(i) / 8.0) / double(factors[i]);
        QString why;
        QVERIFY2(all_close(f, want, 1e-6, 0, &why), qPrintable(why));
        QCOMPARE(f[0], 1.f);
        QVERIFY(std::fabs(f[1] - 0.05f) < 1e-7f);  // 10000^-0.25 / 2
        // Factors of 1 change nothing.
        QCOMPARE(q8::rope_inv_freq(c, std::vector<float>(4, 1.f)), q8::rope_inv_freq(c, {}));
    }

    // ------------------------------------------------------------ apply_rope

    void apply_rope_data() {
        QTest::addColumn<RopeStyle>("style");
        QTest::addColumn<int>("n_heads");
        QTest::addColumn<int>("head_dim");
        QTest::addColumn<int>("n_rot");
        for (RopeStyle st : {RopeStyle::Normal, RopeStyle::Neox}) {
            const char* s = st == RopeStyle::Normal ? "normal" : "neox";
            QTest::addRow("%s 1x2 full", s) << st << 1 << 2 << 2;
            QTest::addRow("%s 1x8 full", s) << st << 1 << 8 << 8;
            QTest::addRow("%s 4x64 full", s) << st << 4 << 64 << 64;
            QTest::addRow("%s 3x128 full", s) << st << 3 << 128 << 128;
            QTest::addRow("%s 2x64 partial 32", s) << st << 2 << 64 << 32;
            QTest::addRow("%s 2x80 partial 20", s) << st << 2 << 80 << 20;
            QTest::addRow("%s 5x16 partial 2", s) << st << 5 << 16 << 2;
            QTest::addRow("%s 2x16 none", s) << st << 2 << 16 << 0;
        }
    }
    void apply_rope() {
        QFETCH(RopeStyle, style);
        QFETCH(int, n_heads);
        QFETCH(int, head_dim);
        QFETCH(int, n_rot);
        std::mt19937 g(static_cast<unsigned>(n_heads * 1000 + head_dim * 10 + n_rot));
        const auto total = static_cast<size_t>(n_heads * head_dim);
        const std::vector<float> x = random_vec(g, total);
        const std::vector<float> inv = q8::rope_inv_freq(rope_config(n_rot, 10000.f), {});
        for (int64_t pos : {int64_t{0}, int64_t{1}, int64_t{7}, int64_t{1000}, int64_t{32767}}) {
            const std::vector<float> y = roped(x, n_heads, head_dim, n_rot, style, inv, pos);
            const std::vector<double> want = ref_rope(x, n_heads, head_dim, n_rot, style, inv, pos);
            QString why;
            QVERIFY2(all_close(y, want, 1e-6, 1e-6, &why), qPrintable(QStringLiteral("pos %1: ").arg(pos) + why));
            for (int h = 0; h < n_heads; ++h) {
                const size_t off = static_cast<size_t>(h * head_dim);
                // Dims past n_rot are untouched, bit for bit.
                for (int d = n_rot; d < head_dim; ++d)
                    QCOMPARE(y[off + static_cast<size_t>(d)], x[off + static_cast<size_t>(d)]);
                // Rotation preserves the norm of each head.
                const double n0 = dot(&x[off], &x[off], static_cast<size_t>(head_dim));
                const double n1 = dot(&y[off], &y[off], static_cast<size_t>(head_dim));
                QVERIFY2(std::fabs(n1 - n0) <= 1e-5 * n0,
                         qPrintable(QStringLiteral("head %1 pos %2: |x|^2 %3 -> %4").arg(h).arg(pos).arg(n0).arg(n1)));
            }
            if (pos == 0) QVERIFY(y == x);  // angle 0 is the identity
        }
    }

    // The two pairings differ (so each reference above really pins its own): a vector with one
    // non-zero dim shows which partner receives the rotated part.
    void rope_pairing() {
        const int64_t dim = 8;
        const std::vector<float> inv = q8::rope_inv_freq(rope_config(dim, 10000.f), {});
        std::vector<float> e1(dim, 0.f);
        e1[1] = 1.f;                       // pair 0: Normal rotates (0, 1); Neox pairs dim 1 with dim 5
        const double th = double(inv[1]);  // Neox pair 1 angle at pos 1
        const std::vector<float> n = roped(e1, 1, dim, dim, RopeStyle::Normal, inv, 1);
        QVERIFY(std::fabs(n[0] - float(-std::sin(1.0))) < 1e-6f && std::fabs(n[1] - float(std::cos(1.0))) < 1e-6f);
        for (int d = 2; d < dim; ++d) QCOMPARE(n[static_cast<size_t>(d)], 0.f);
        const std::vector<float> x = roped(e1, 1, dim, dim, RopeStyle::Neox, inv, 1);
        QVERIFY(std::fabs(x[1] - float(std::cos(th))) < 1e-6f && std::fabs(x[5] - float(std::sin(th))) < 1e-6f);
        for (int d : {0, 2, 3, 4, 6, 7}) QCOMPARE(x[static_cast<size_t>(d)], 0.f);
    }

    // <rope(q, m), rope(k, n)> depends only on m - n, per head, for both pairings and partial
    // rotation.
    void rope_relative_position_data() {
        QTest::addColumn<RopeStyle>("style");
        QTest::addColumn<int>("n_rot");
        QTest::addRow("normal full") << RopeStyle::Normal << 64;
        QTest::addRow("neox full") << RopeStyle::Neox << 64;
        QTest::addRow("normal partial") << RopeStyle::Normal << 16;
        QTest::addRow("neox partial") << RopeStyle::Neox << 16;
    }
    void rope_relative_position() {
        QFETCH(RopeStyle, style);
        QFETCH(int, n_rot);
        const int64_t n_heads = 2, head_dim = 64;
        std::mt19937 g(static_cast<unsigned>(n_rot + (style == RopeStyle::Neox ? 1 : 0)));
        const std::vector<float> q = random_vec(g, static_cast<size_t>(n_heads * head_dim));
        const std::vector<float> k = random_vec(g, static_cast<size_t>(n_heads * head_dim));
        const std::vector<float> inv = q8::rope_inv_freq(rope_config(n_rot, 10000.f), {});
        for (int64_t delta : {int64_t{0}, int64_t{1}, int64_t{5}, int64_t{-3}, int64_t{100}}) {
            std::vector<double> base;
            for (int64_t m : {int64_t{200}, int64_t{203}, int64_t{250}, int64_t{512}, int64_t{1000}}) {
                const std::vector<float> qr = roped(q, n_heads, head_dim, n_rot, style, inv, m);
                const std::vector<float> kr = roped(k, n_heads, head_dim, n_rot, style, inv, m - delta);
                for (int64_t h = 0; h < n_heads; ++h) {
                    const size_t off = static_cast<size_t>(h * head_dim);
                    const double d = dot(&qr[off], &kr[off], static_cast<size_t>(head_dim));
                    const double scale = std::sqrt(dot(&q[off], &q[off], static_cast<size_t>(head_dim)) *
                                                   dot(&k[off], &k[off], static_cast<size_t>(head_dim)));
                    if (base.size() < static_cast<size_t>(n_heads)) {
                        base.push_back(d);
                        continue;
                    }
                    QVERIFY2(std::fabs(d - base[static_cast<size_t>(h)]) <= 2e-5 * scale,
                             qPrintable(QStringLiteral("delta %1 head %2: at m=%3 %4, at m=200 %5")
                                            .arg(delta)
                                            .arg(h)
                                            .arg(m)
                                            .arg(d, 0, 'g', 10)
                                            .arg(base[static_cast<size_t>(h)], 0, 'g', 10)));
                }
            }
        }
        // And it does depend on the offset: different m - n give different products.
        const std::vector<float> q0 = roped(q, n_heads, head_dim, n_rot, style, inv, 10);
        const std::vector<float> k0 = roped(k, n_heads, head_dim, n_rot, style, inv, 10);
        const std::vector<float> k1 = roped(k, n_heads, head_dim, n_rot, style, inv, 7);
        QVERIFY(std::fabs(dot(q0.data(), k0.data(), 64) - dot(q0.data(), k1.data(), 64)) > 1e-3);
    }
};

QTEST_GUILESS_MAIN(TestOps)
#include "test_ops.moc"
