#pragma once
// Per-instruction-set helpers shared by the kernel tests.
#include <QtTest>

#include <array>

#include "cpu_features.h"
#include "kernels.h"

inline constexpr std::array<q8::Isa, 3> kAllIsas{q8::Isa::Scalar, q8::Isa::Avx2, q8::Isa::Avx512};

// The kernel table of exactly one instruction set (not clamped to the CPU), so a test row runs the
// code it names. Callers skip the ISAs the CPU cannot run.
inline const q8::KernelTable& table_of(q8::Isa isa) {
    switch (isa) {
    case q8::Isa::Avx512: return q8::avx512_kernels();
    case q8::Isa::Avx2: return q8::avx2_kernels();
    case q8::Isa::Scalar: break;
    }
    return q8::scalar_kernels();
}

// Written here rather than taken from q8::isa_name, so test_kernels can check that against it.
inline const char* name_of(q8::Isa isa) {
    switch (isa) {
    case q8::Isa::Scalar: return "scalar";
    case q8::Isa::Avx2: return "avx2";
    case q8::Isa::Avx512: return "avx512";
    }
    return "?";
}

// One data row per instruction set, named for it, in an int column "isa".
inline void add_isa_rows() {
    QTest::addColumn<int>("isa");
    for (q8::Isa isa : kAllIsas) QTest::addRow("%s", name_of(isa)) << static_cast<int>(isa);
}

// QSKIPs the row, with the reason, when the CPU cannot run isa.
#define REQUIRE_ISA(isa)                                                                                             \
    do {                                                                                                             \
        if ((isa) > q8::best_supported_isa()) {                                                                      \
            QSKIP(qPrintable(QStringLiteral("this CPU cannot run %1 kernels (best supported: %2; features: %3)")     \
                                 .arg(QLatin1String(name_of(isa)), QLatin1String(name_of(q8::best_supported_isa())), \
                                      QString::fromStdString(q8::cpu_feature_summary()))));                          \
        }                                                                                                            \
    } while (0)
