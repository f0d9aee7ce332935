// GGUF reader: well-formed files read back every value type; malformed files are refused with a
// message naming the field, never a crash or a huge allocation.
#include <QTemporaryDir>
#include <QtTest>

#include <q8/error.h>

#include "gguf_bytes.h"
#include "gguf_reader.h"

using q8test::GgufBytes;

class TestGgufReader : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

    std::string write(const GgufBytes& g, const char* name) {
        const std::string p = dir_.filePath(name).toStdString();
        g.write(p);
        return p;
    }

    // Expects opening the file to fail with a message containing `needle`.
    void expect_error(const GgufBytes& g, const char* needle) {
        const std::string p = write(g, "bad.gguf");
        try {
            q8::GgufFile f(p);
            QFAIL(qPrintable(QString("no error, expected one mentioning '%1'").arg(needle)));
        } catch (const q8::EngineError& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find(needle) != std::string::npos, msg.c_str());
            QVERIFY2(msg.find(p) != std::string::npos, "message should name the file");
        }
    }

    static GgufBytes valid_one_tensor() {
        GgufBytes g;
        g.header(1, 2).kv_string("general.architecture", "llama").kv_u32("general.alignment", 32);
        g.tensor_info("w", {4, 2}, 0, 0).align().zeros(32);
        return g;
    }

private slots:
    void reads_every_value_type() {
        GgufBytes g;
        g.header(1, 14);
        g.str("u8").put<uint32_t>(0).put<uint8_t>(200);
        g.str("i8").put<uint32_t>(1).put<int8_t>(-5);
        g.str("u16").put<uint32_t>(2).put<uint16_t>(60000);
        g.str("i16").put<uint32_t>(3).put<int16_t>(-30000);
        g.str("u32").put<uint32_t>(4).put<uint32_t>(4000000000u);
        g.str("i32").put<uint32_t>(5).put<int32_t>(-2000000000);
        g.str("f32").put<uint32_t>(6).put<float>(1.5f);
        g.str("bool").put<uint32_t>(7).put<uint8_t>(1);
        g.kv_string("str", "héllo");
        g.str("arr_s").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(2).str("a").str("bc");
        g.str("u64").put<uint32_t>(10).put<uint64_t>(1ull << 40);
        g.str("i64").put<uint32_t>(11).put<int64_t>(-(1ll << 40));
        g.str("f64").put<uint32_t>(12).put<double>(-2.25);
        g.str("arr_i").put<uint32_t>(9).put<uint32_t>(5).put<uint64_t>(3).put<int32_t>(1).put<int32_t>(-2).put<int32_t>(
            3);
        g.tensor_info("t", {32, 3}, 1, 0).align();
        for (int k = 0; k < 96; ++k) g.put<uint16_t>(0x3c00);  // f16 1.0
        q8::GgufFile f(write(g, "all.gguf"));
        QCOMPARE(f.version(), 3u);
        QCOMPARE(f.get_uint("u8"), 200ull);
        QCOMPARE(f.get_int("i8"), -5ll);
        QCOMPARE(f.get_uint("u16"), 60000ull);
        QCOMPARE(f.get_int("i16"), -30000ll);
        QCOMPARE(f.get_uint("u32"), 4000000000ull);
        QCOMPARE(f.get_int("i32"), -2000000000ll);
        QCOMPARE(f.get_float("f32"), 1.5);
        QCOMPARE(f.get_bool("bool"), true);
        QCOMPARE(f.get_string("str"), std::string("héllo"));
        QCOMPARE(f.get_string_array("arr_s").size(), size_t(2));
        QCOMPARE(std::string(f.get_string_array("arr_s")[1]), std::string("bc"));
        QCOMPARE(f.get_uint("u64"), 1ull << 40);
        QCOMPARE(f.get_int("i64"), -(1ll << 40));
        QCOMPARE(f.get_float("f64"), -2.25);
        QCOMPARE(f.get_int_array("arr_i"), (std::vector<int64_t>{1, -2, 3}));
        QCOMPARE(f.keys().size(), size_t(14));
        const q8::GgufTensorInfo* t = f.find_tensor("t");
        QVERIFY(t != nullptr);
        QCOMPARE(t->ne[0], 32ull);
        QCOMPARE(t->ne[1], 3ull);
        QCOMPARE(t->n_bytes, 192ull);
        QCOMPARE(t->data - f.header().data(), static_cast<ptrdiff_t>(f.data_offset()));
        QVERIFY(f.data_offset() % 32 == 0);
    }

    void typed_access_errors_name_the_key() {
        q8::GgufFile f(write(valid_one_tensor(), "ok.gguf"));
        try {
            f.get_uint("general.architecture");
            QFAIL("expected a type error");
        } catch (const q8::EngineError& e) {
            QVERIFY(std::string(e.what()).find("general.architecture") != std::string::npos);
        }
        try {
            f.get_string("llama.block_count");
            QFAIL("expected a missing-key error");
        } catch (const q8::EngineError& e) {
            QVERIFY(std::string(e.what()).find("missing metadata 'llama.block_count'") != std::string::npos);
        }
        QVERIFY(!f.opt_uint("nope").has_value());
    }

    void missing_file() {
        try {
            q8::GgufFile f("/nonexistent/model.gguf");
            QFAIL("expected an error");
        } catch (const q8::EngineError& e) {
            QVERIFY(std::string(e.what()).find("/nonexistent/model.gguf") != std::string::npos);
        }
    }

    void bad_magic() {
        GgufBytes g;
        g.put<uint32_t>(0x12345678u).put<uint32_t>(3).put<uint64_t>(0).put<uint64_t>(0);
        expect_error(g, "bad magic");
    }

    void bad_version() {
        GgufBytes g;
        g.header(0, 0, 1);
        expect_error(g, "version 1");
        GgufBytes h;
        h.header(0, 0, 0x03000000u);
        expect_error(h, "big-endian");
    }

    void truncated_everywhere() {
        // Every proper prefix of a valid file must fail cleanly (no crash, a clear message).
        const GgufBytes full = valid_one_tensor();
        for (size_t cut = 1; cut < full.b.size(); ++cut) {
            GgufBytes g;
            g.b.assign(full.b.begin(), full.b.begin() + static_cast<ptrdiff_t>(cut));
            const std::string p = write(g, "cut.gguf");
            bool threw = false;
            try {
                q8::GgufFile f(p);
            } catch (const q8::EngineError& e) {
                threw = true;
                QVERIFY(std::string(e.what()).find(p) != std::string::npos);
            }
            QVERIFY2(threw, qPrintable(QString("prefix of %1 bytes was accepted").arg(cut)));
        }
    }

    void absurd_counts() {
        GgufBytes g;
        g.header(0, 1ull << 60);
        expect_error(g, "metadata count");
        GgufBytes h;
        h.header(1ull << 62, 0);
        expect_error(h, "tensor count");
        GgufBytes s;
        s.header(0, 1).str("k").put<uint32_t>(8).put<uint64_t>(~0ull);
        expect_error(s, "string");
        GgufBytes a;
        a.header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(1ull << 61);
        expect_error(a, "array length");
        GgufBytes n;
        n.header(0, 1).str("k").put<uint32_t>(9).put<uint32_t>(4).put<uint64_t>(1ull << 62);
        expect_error(n, "array");
    }

    void absurd_dimensions() {
        GgufBytes g;
        g.header(1, 0).tensor_info("w", {1ull << 40, 1ull << 40}, 0, 0).align().zeros(32);
        expect_error(g, "absurd dimensions");
        GgufBytes z;
        z.header(1, 0).tensor_info("w", {0, 4}, 0, 0).align().zeros(32);
        expect_error(z, "zero dimension");
        GgufBytes d;
        d.header(1, 0).str("w").put<uint32_t>(9).zeros(64);
        expect_error(d, "dimensions");
    }

    void unknown_tensor_type_and_bad_block_rows() {
        GgufBytes g;
        g.header(1, 0).tensor_info("w", {4}, 99, 0).align().zeros(32);
        expect_error(g, "unknown tensor type 99");
        GgufBytes q;
        q.header(1, 0).tensor_info("w", {31}, 8, 0).align().zeros(64);
        expect_error(q, "not a multiple of the block size");
    }

    void tensor_data_past_end() {
        GgufBytes g;
        g.header(1, 0).tensor_info("w", {64, 64}, 0, 0).align().zeros(100);
        expect_error(g, "extends past the end");
        GgufBytes o;
        o.header(1, 0).tensor_info("w", {4}, 0, ~0ull - 31).align().zeros(32);
        expect_error(o, "");
    }

    void misaligned_offset_and_duplicates() {
        GgufBytes g;
        g.header(1, 0).tensor_info("w", {4}, 0, 3).align().zeros(64);
        expect_error(g, "not aligned");
        GgufBytes k;
        k.header(0, 2).kv_u32("a", 1).kv_u32("a", 2);
        expect_error(k, "duplicate metadata key 'a'");
        GgufBytes t;
        t.header(2, 0).tensor_info("w", {8}, 0, 0).tensor_info("w", {8}, 0, 32).align().zeros(64);
        expect_error(t, "duplicate tensor name 'w'");
        GgufBytes al;
        al.header(0, 1).kv_u32("general.alignment", 48);
        expect_error(al, "power of two");
    }

    void unknown_value_type() {
        GgufBytes g;
        g.header(0, 1).str("k").put<uint32_t>(77).put<uint32_t>(0);
        expect_error(g, "unknown value type 77");
    }
};

QTEST_GUILESS_MAIN(TestGgufReader)
#include "test_gguf_reader.moc"
