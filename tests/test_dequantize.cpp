// Dequantization of every loadable tensor type, checked bit for bit against an independent NumPy
// reference (tests/reference/dequant_reference.py), plus hand-written known values and the half
// conversions of engine/half.h.
#include <QByteArray>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <q8/error.h>

#include "dequantize.h"
#include "ggml_types.h"
#include "gguf_reader.h"
#include "half.h"

using q8::GgmlType;

namespace {

struct TypeCase {
    const char* name;
    GgmlType type;
};

constexpr std::array<TypeCase, 8> kTypes{{
    {"F32", GgmlType::F32},
    {"F16", GgmlType::F16},
    {"BF16", GgmlType::BF16},
    {"Q8_0", GgmlType::Q8_0},
    {"Q4_0", GgmlType::Q4_0},
    {"Q4_K", GgmlType::Q4_K},
    {"Q5_K", GgmlType::Q5_K},
    {"Q6_K", GgmlType::Q6_K},
}};

uint32_t bits(float f) { return std::bit_cast<uint32_t>(f); }

QString hex(uint32_t v, int width = 8) { return QStringLiteral("0x%1").arg(v, width, 16, QLatin1Char('0')); }

void put_u16(uint8_t* p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v & 0xff);
    p[1] = static_cast<uint8_t>(v >> 8);
}

// Compares bit patterns (so NaN payloads and the sign of zero count); reports the first mismatches.
bool same_bits(const float* got, const float* want, size_t n, QString* why) {
    size_t bad = 0;
    for (size_t i = 0; i < n; ++i) {
        if (bits(got[i]) == bits(want[i])) continue;
        if (bad < 5) {
            *why += QStringLiteral("\n  [%1] got %2 (%3), want %4 (%5)")
                        .arg(i)
                        .arg(double(got[i]), 0, 'g', 9)
                        .arg(hex(bits(got[i])))
                        .arg(double(want[i]), 0, 'g', 9)
                        .arg(hex(bits(want[i])));
        }
        ++bad;
    }
    if (bad) *why = QStringLiteral("%1 of %2 values differ:").arg(bad).arg(n) + *why;
    return bad == 0;
}

}  // namespace

class TestDequantize : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;

    QByteArray read_ref(const QString& file) {
        QFile f(dir_.filePath(file));
        if (!f.open(QIODevice::ReadOnly)) return {};
        return f.readAll();
    }

    // Loads <name>.bin and <name>.f32 from the reference output.
    bool load_case(const char* name, QByteArray* raw, std::vector<float>* want) {
        *raw = read_ref(QString::fromLatin1(name) + QStringLiteral(".bin"));
        const QByteArray f = read_ref(QString::fromLatin1(name) + QStringLiteral(".f32"));
        if (raw->isEmpty() || f.isEmpty() || f.size() % 4 != 0) return false;
        want->resize(static_cast<size_t>(f.size()) / 4);
        std::memcpy(want->data(), f.constData(), static_cast<size_t>(f.size()));
        return true;
    }

private slots:
    void initTestCase() {
        const QString python = QStringLiteral(Q8_PYTHON);
        const QString script = QStringLiteral(Q8_SOURCE_DIR "/tests/reference/dequant_reference.py");
        if (python.isEmpty() || !QFileInfo(python).isExecutable()) {
            QFAIL(qPrintable(QStringLiteral("Python interpreter '%1' (CMake cache Q8_PYTHON) is missing or not "
                                            "executable. It is a declared test dependency: install python3 and "
                                            "python3-numpy, or point Q8_PYTHON at a python3 with NumPy.")
                                 .arg(python)));
        }
        QVERIFY2(QFileInfo::exists(script), qPrintable(QStringLiteral("reference script missing: ") + script));
        QVERIFY(dir_.isValid());

        QProcess proc;
        proc.setProcessChannelMode(QProcess::SeparateChannels);
        proc.start(python, {script, QStringLiteral("--out"), dir_.path(), QStringLiteral("--seed"), QStringLiteral("7"),
                            QStringLiteral("--blocks"), QStringLiteral("64")});
        if (!proc.waitForStarted(30000)) {
            QFAIL(qPrintable(
                QStringLiteral("could not start the Python interpreter '%1': %2").arg(python, proc.errorString())));
        }
        if (!proc.waitForFinished(300000)) {
            proc.kill();
            proc.waitForFinished();
            QFAIL("dequant_reference.py did not finish within 300 s");
        }
        if (proc.exitStatus() != QProcess::NormalExit || proc.exitCode() != 0) {
            QFAIL(qPrintable(QStringLiteral("dequant_reference.py failed (exit %1; is NumPy installed for %2?):\n%3")
                                 .arg(proc.exitCode())
                                 .arg(python, QString::fromLocal8Bit(proc.readAllStandardError()))));
        }
    }

    // ---------------------------------------------------------------- against the NumPy reference

    void reference_data() {
        QTest::addColumn<int>("index");
        for (size_t i = 0; i < kTypes.size(); ++i) QTest::newRow(kTypes[i].name) << static_cast<int>(i);
    }

    void reference() {
        QFETCH(int, index);
        const TypeCase& tc = kTypes[static_cast<size_t>(index)];
        QByteArray raw;
        std::vector<float> want;
        QVERIFY2(load_case(tc.name, &raw, &want), "reference output missing or malformed");

        const auto traits = q8::type_traits(static_cast<uint32_t>(tc.type));
        QVERIFY(traits && traits->loadable);
        QCOMPARE(traits->name, std::string_view(tc.name));
        QCOMPARE(want.size() % traits->block_elems, size_t{0});
        QCOMPARE(static_cast<uint64_t>(raw.size()), uint64_t{want.size() / traits->block_elems * traits->block_bytes});

        // Poison the output so an element the decoder skips cannot pass by accident.
        std::vector<float> got(want.size(), std::bit_cast<float>(0x7fbadbadu));
        q8::dequantize_row(tc.type, reinterpret_cast<const uint8_t*>(raw.constData()), got.data(), got.size());
        QString why;
        QVERIFY2(same_bits(got.data(), want.data(), want.size(), &why), qPrintable(why));

        // Decoding block by block from an odd address gives the same values (no alignment assumed).
        QByteArray shifted(raw.size() + 1, '\0');
        std::memcpy(shifted.data() + 1, raw.constData(), static_cast<size_t>(raw.size()));
        const auto* src = reinterpret_cast<const uint8_t*>(shifted.constData()) + 1;
        std::vector<float> got2(want.size(), 0.0f);
        const size_t n_blocks = want.size() / traits->block_elems;
        for (size_t b = 0; b < n_blocks; ++b) {
            q8::dequantize_row(tc.type, src + b * traits->block_bytes, got2.data() + b * traits->block_elems,
                               traits->block_elems);
        }
        QVERIFY2(same_bits(got2.data(), want.data(), want.size(), &why), qPrintable(why));

        // The tensor wrapper agrees with the row decoder.
        q8::GgufTensorInfo info;
        info.name = std::string("blk.0.") + tc.name;
        info.n_dims = 2;
        info.ne = {traits->block_elems, n_blocks, 1, 1};
        info.type = tc.type;
        info.n_elements = want.size();
        info.n_bytes = static_cast<uint64_t>(raw.size());
        info.data = reinterpret_cast<const uint8_t*>(raw.constData());
        const std::vector<float> whole = q8::dequantize_tensor(info);
        QCOMPARE(whole.size(), want.size());
        QVERIFY2(same_bits(whole.data(), want.data(), want.size(), &why), qPrintable(why));
    }

    // ---------------------------------------------------------------- hand-written known values

    void q8_0_known() {
        std::array<uint8_t, 34> blk{};
        put_u16(blk.data(), 0x3800);  // d = 0.5
        const std::array<int8_t, 32> q{-128, -127, -64, -3, -2, -1,  0,   1,   2,    3,  64,  126, 127, 5,  7,  9,
                                       11,   13,   -5,  -7, -9, -11, -13, 100, -100, 42, -42, 0,   1,   -1, 17, -17};
        std::memcpy(blk.data() + 2, q.data(), q.size());
        std::array<float, 32> y{};
        q8::dequantize_row(GgmlType::Q8_0, blk.data(), y.data(), y.size());
        for (int j = 0; j < 32; ++j) QCOMPARE(y[j], 0.5f * static_cast<float>(q[j]));
        QCOMPARE(y[0], -64.0f);
        QCOMPARE(y[12], 63.5f);

        // d = -2^-24 (the smallest negative subnormal half): x = q * -2^-24, exactly.
        put_u16(blk.data(), 0x8001);
        q8::dequantize_row(GgmlType::Q8_0, blk.data(), y.data(), y.size());
        for (int j = 0; j < 32; ++j) QCOMPARE(y[j], std::ldexp(-static_cast<float>(q[j]), -24));
    }

    void q4_0_known() {
        // d = 0.5; byte j holds nibble j in its low half (element j) and 15 - j in its high half
        // (element j + 16).
        std::array<uint8_t, 18> blk{};
        put_u16(blk.data(), 0x3800);
        for (int j = 0; j < 16; ++j) blk[2 + j] = static_cast<uint8_t>(j | ((15 - j) << 4));
        std::array<float, 32> y{};
        q8::dequantize_row(GgmlType::Q4_0, blk.data(), y.data(), y.size());
        for (int j = 0; j < 16; ++j) {
            QCOMPARE(y[j], 0.5f * static_cast<float>(j - 8));
            QCOMPARE(y[j + 16], 0.5f * static_cast<float>(7 - j));
        }
        QCOMPARE(y[0], -4.0f);   // nibble 0
        QCOMPARE(y[15], 3.5f);   // nibble 15
        QCOMPARE(y[16], 3.5f);   // high nibble of byte 0 = 15
        QCOMPARE(y[31], -4.0f);  // high nibble of byte 15 = 0

        // One byte 0x8F: element 0 = 15 -> 7 * d, element 16 = 8 -> 0.
        blk.fill(0x88);
        put_u16(blk.data(), 0xc000);  // d = -2
        blk[2] = 0x8f;
        q8::dequantize_row(GgmlType::Q4_0, blk.data(), y.data(), y.size());
        QCOMPARE(y[0], -14.0f);
        for (int j = 1; j < 32; ++j) QCOMPARE(y[j], 0.0f);
    }

    void q4_k_known() {
        // Scales and mins chosen to use all 6 bits, packed by hand into the 12-byte field.
        const std::array<uint8_t, 8> sc{1, 2, 3, 4, 17, 33, 48, 63};
        const std::array<uint8_t, 8> mn{0, 5, 10, 63, 16, 31, 32, 47};
        std::array<uint8_t, 144> blk{};
        put_u16(blk.data(), 0x3c00);      // d = 1
        put_u16(blk.data() + 2, 0x3800);  // dmin = 0.5
        uint8_t* s = blk.data() + 4;
        for (int j = 0; j < 4; ++j) {
            s[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
            s[j + 4] = static_cast<uint8_t>(mn[j] | ((mn[j + 4] >> 4) << 6));
            s[j + 8] = static_cast<uint8_t>((sc[j + 4] & 15) | ((mn[j + 4] & 15) << 4));
        }
        for (int i = 0; i < 128; ++i) blk[16 + i] = static_cast<uint8_t>((i % 16) | ((15 - i % 16) << 4));
        std::array<float, 256> y{};
        q8::dequantize_row(GgmlType::Q4_K, blk.data(), y.data(), y.size());
        for (int c = 0; c < 4; ++c) {
            for (int l = 0; l < 32; ++l) {
                const float lo = static_cast<float>(sc[2 * c] * (l % 16)) - 0.5f * mn[2 * c];
                const float hi = static_cast<float>(sc[2 * c + 1] * (15 - l % 16)) - 0.5f * mn[2 * c + 1];
                QCOMPARE(y[64 * c + l], lo);
                QCOMPARE(y[64 * c + 32 + l], hi);
            }
        }
        QCOMPARE(y[255], -23.5f);  // sub-block 7: scale 63 * nibble 0 - 0.5 * 47
        QCOMPARE(y[192 + 15], 48.0f * 15 - 16.0f);
    }

    void q6_k_known() {
        // Element e gets q = e % 64 (so q - 32 runs -32..31) and scale (e / 16) - 8.
        std::array<uint8_t, 210> blk{};
        for (int e = 0; e < 256; ++e) {
            const int h = e / 128, g = (e % 128) / 32, l = e % 32;
            const int q = e % 64;
            uint8_t& low = blk[static_cast<size_t>(64 * h + l + 32 * (g & 1))];
            low = static_cast<uint8_t>(g < 2 ? (low & 0xf0) | (q & 15) : (low & 0x0f) | ((q & 15) << 4));
            blk[static_cast<size_t>(128 + 32 * h + l)] |= static_cast<uint8_t>((q >> 4) << (2 * g));
        }
        for (int k = 0; k < 16; ++k)
            blk[static_cast<size_t>(192 + k)] = static_cast<uint8_t>(static_cast<int8_t>(k - 8));
        put_u16(blk.data() + 208, 0x3400);  // d = 0.25
        std::array<float, 256> y{};
        q8::dequantize_row(GgmlType::Q6_K, blk.data(), y.data(), y.size());
        for (int e = 0; e < 256; ++e) {
            QCOMPARE(y[static_cast<size_t>(e)], 0.25f * static_cast<float>((e / 16 - 8) * (e % 64 - 32)));
        }
    }

    void f16_specials() {
        const float inf = std::numeric_limits<float>::infinity();
        QCOMPARE(q8::f16_to_f32(0x7c00), inf);
        QCOMPARE(q8::f16_to_f32(0xfc00), -inf);
        QVERIFY(std::isnan(q8::f16_to_f32(0x7e00)));
        QVERIFY(std::isnan(q8::f16_to_f32(0x7c01)));
        QCOMPARE(bits(q8::f16_to_f32(0x7c01)), 0x7f802000u);  // payload kept, not quieted
        QVERIFY(std::signbit(q8::f16_to_f32(0xfe00)));
        QCOMPARE(bits(q8::f16_to_f32(0x0000)), 0x00000000u);
        QCOMPARE(bits(q8::f16_to_f32(0x8000)), 0x80000000u);      // -0
        QCOMPARE(q8::f16_to_f32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
        QCOMPARE(q8::f16_to_f32(0x8001), -std::ldexp(1.0f, -24));
        QCOMPARE(q8::f16_to_f32(0x0200), std::ldexp(1.0f, -15));
        QCOMPARE(q8::f16_to_f32(0x03ff), std::ldexp(1023.0f, -24));  // largest subnormal
        QCOMPARE(q8::f16_to_f32(0x0400), std::ldexp(1.0f, -14));     // smallest normal
        QCOMPARE(q8::f16_to_f32(0x3c00), 1.0f);
        QCOMPARE(q8::f16_to_f32(0x3555), 0.333251953125f);
        QCOMPARE(q8::f16_to_f32(0x7bff), 65504.0f);
        QCOMPARE(q8::f16_to_f32(0xc000), -2.0f);

        QCOMPARE(q8::f32_to_f16(inf), uint16_t{0x7c00});
        QCOMPARE(q8::f32_to_f16(-inf), uint16_t{0xfc00});
        const uint16_t nan = q8::f32_to_f16(std::numeric_limits<float>::quiet_NaN());
        QVERIFY((nan & 0x7c00) == 0x7c00 && (nan & 0x03ff) != 0);
        QCOMPARE(q8::f32_to_f16(-0.0f), uint16_t{0x8000});
        QCOMPARE(q8::f32_to_f16(std::ldexp(1.0f, -24)), uint16_t{0x0001});
        QCOMPARE(q8::f32_to_f16(std::ldexp(1.0f, -25)), uint16_t{0x0000});     // tie -> even (0)
        QCOMPARE(q8::f32_to_f16(std::ldexp(3.0f, -25)), uint16_t{0x0002});     // tie -> even (2)
        QCOMPARE(q8::f32_to_f16(std::ldexp(1023.5f, -24)), uint16_t{0x0400});  // rounds up to normal
        QCOMPARE(q8::f32_to_f16(65504.0f), uint16_t{0x7bff});
        QCOMPARE(q8::f32_to_f16(65519.99f), uint16_t{0x7bff});
        QCOMPARE(q8::f32_to_f16(65520.0f), uint16_t{0x7c00});                      // tie between 65504 and 65536 -> inf
        QCOMPARE(q8::f32_to_f16(1.0f + std::ldexp(1.0f, -11)), uint16_t{0x3c00});  // tie -> even
        QCOMPARE(q8::f32_to_f16(1.0f + std::ldexp(3.0f, -11)), uint16_t{0x3c02});  // tie -> even

        // The F16 row decoder goes through the same conversion.
        const std::array<uint16_t, 8> codes{0x7c00, 0xfc00, 0x7e00, 0x0001, 0x83ff, 0x0400, 0x8000, 0x7bff};
        std::array<uint8_t, 16> raw{};
        for (size_t i = 0; i < codes.size(); ++i) put_u16(raw.data() + 2 * i, codes[i]);
        std::array<float, 8> y{};
        q8::dequantize_row(GgmlType::F16, raw.data(), y.data(), y.size());
        for (size_t i = 0; i < codes.size(); ++i) QCOMPARE(bits(y[i]), bits(q8::f16_to_f32(codes[i])));
        QCOMPARE(y[4], -std::ldexp(1023.0f, -24));

        // Every non-NaN half survives a round trip.
        for (uint32_t h = 0; h < 0x10000; ++h) {
            if ((h & 0x7c00) == 0x7c00 && (h & 0x03ff) != 0) continue;
            const auto back = q8::f32_to_f16(q8::f16_to_f32(static_cast<uint16_t>(h)));
            if (back != h) QFAIL(qPrintable(QStringLiteral("round trip of %1 gave %2").arg(hex(h, 4), hex(back, 4))));
        }
    }

    void bf16_specials() {
        QCOMPARE(q8::bf16_to_f32(0x3f80), 1.0f);
        QCOMPARE(q8::bf16_to_f32(0xff80), -std::numeric_limits<float>::infinity());
        QCOMPARE(q8::f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), uint16_t{0x3f80});  // tie -> even
        QCOMPARE(q8::f32_to_bf16(1.0f + std::ldexp(3.0f, -8)), uint16_t{0x3f82});  // tie -> even
        QCOMPARE(q8::f32_to_bf16(std::numeric_limits<float>::max()), uint16_t{0x7f80});
        const uint16_t nan = q8::f32_to_bf16(std::bit_cast<float>(0x7f800001u));  // sNaN stays NaN
        QVERIFY((nan & 0x7f80) == 0x7f80 && (nan & 0x7f) != 0);
    }

    // f32_to_f16 against NumPy's float16 conversion (round to nearest even) on every half, every
    // midpoint between neighbouring halves and the floats either side of it, and a strided walk over
    // all float bit patterns. NaN inputs must give a NaN of the same sign (NumPy keeps payload bits,
    // half.h returns one quiet NaN; both are NaN).
    void f32_to_f16_sweep() {
        const QByteArray in = read_ref(QStringLiteral("f32_to_f16.f32"));
        const QByteArray out = read_ref(QStringLiteral("f32_to_f16.f16"));
        QVERIFY(!in.isEmpty() && in.size() % 4 == 0);
        QCOMPARE(out.size(), in.size() / 2);
        const size_t n = static_cast<size_t>(in.size()) / 4;
        QVERIFY(n > 250000);
        size_t bad = 0;
        QString why;
        for (size_t i = 0; i < n; ++i) {
            float x;
            uint16_t want;
            std::memcpy(&x, in.constData() + 4 * i, 4);
            std::memcpy(&want, out.constData() + 2 * i, 2);
            const uint16_t got = q8::f32_to_f16(x);
            bool ok;
            if (std::isnan(x)) {
                ok = (got & 0x7c00) == 0x7c00 && (got & 0x03ff) != 0 && (got & 0x8000) == (want & 0x8000);
            } else {
                ok = got == want;
            }
            if (!ok) {
                if (bad < 8) {
                    why += QStringLiteral("\n  %1 (%2): got %3, want %4")
                               .arg(double(x), 0, 'g', 9)
                               .arg(hex(bits(x)), hex(got, 4), hex(want, 4));
                }
                ++bad;
            }
        }
        QVERIFY2(bad == 0, qPrintable(QStringLiteral("%1 of %2 conversions differ:").arg(bad).arg(n) + why));
    }

    // ---------------------------------------------------------------- refusals

    void errors() {
        std::array<uint8_t, 512> raw{};
        std::array<float, 256> y{};
        auto message = [&](GgmlType t, size_t n) -> QString {
            try {
                q8::dequantize_row(t, raw.data(), y.data(), n);
            } catch (const q8::EngineError& e) {
                return QString::fromUtf8(e.what());
            }
            return {};
        };
        QString m = message(GgmlType::Q4_1, 32);
        QVERIFY2(m.contains(QStringLiteral("Q4_1")), qPrintable(m));
        m = message(GgmlType::Q2_K, 256);
        QVERIFY2(m.contains(QStringLiteral("Q2_K")), qPrintable(m));
        m = message(GgmlType::I32, 4);
        QVERIFY2(m.contains(QStringLiteral("I32")), qPrintable(m));
        m = message(static_cast<GgmlType>(99), 1);
        QVERIFY2(m.contains(QStringLiteral("99")), qPrintable(m));
        m = message(GgmlType::Q8_0, 33);
        QVERIFY2(m.contains(QStringLiteral("Q8_0")) && m.contains(QStringLiteral("33")), qPrintable(m));
        m = message(GgmlType::Q6_K, 128);
        QVERIFY2(m.contains(QStringLiteral("Q6_K")), qPrintable(m));
        QVERIFY(message(GgmlType::Q4_K, 0).isEmpty());  // nothing to do is fine

        q8::GgufTensorInfo info;
        info.name = "token_embd.weight";
        info.type = GgmlType::Q8_0;
        info.n_elements = 64;
        info.n_bytes = 68;
        info.data = raw.data();
        QCOMPARE(q8::dequantize_tensor(info).size(), size_t{64});
        info.n_bytes = 67;  // does not match the element count
        QVERIFY_THROWS_EXCEPTION(q8::EngineError, q8::dequantize_tensor(info));
        info.n_bytes = 68;
        info.data = nullptr;
        QVERIFY_THROWS_EXCEPTION(q8::EngineError, q8::dequantize_tensor(info));
        info.data = raw.data();
        info.type = GgmlType::Q5_1;
        info.n_bytes = 48;
        try {
            q8::dequantize_tensor(info);
            QFAIL("Q5_1 tensor was accepted");
        } catch (const q8::EngineError& e) {
            const QString w = QString::fromUtf8(e.what());
            QVERIFY2(w.contains(QStringLiteral("Q5_1")) && w.contains(QStringLiteral("token_embd.weight")),
                     qPrintable(w));
        }
    }
};

QTEST_GUILESS_MAIN(TestDequantize)
#include "test_dequantize.moc"
