// What the program is told about the CPU: AMX counts as usable only when CPUID, the OS (XCR0) and
// the kernel's permission agree, and the descriptions shown to users (q8bench info, the window's
// status bar) name the kernel path that actually runs, including when it is forced lower.
// (On a CPU without AMX only the "not present" branch can run; the permission check below still
// compares our flag with what the kernel itself reports.)
#include <QtTest>

#include <asm/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include "cpu_features.h"

using q8::Isa;

class TestCpuFeatures : public QObject {
    Q_OBJECT

private slots:
    void amx_permission_needs_cpu_and_os() {
        const q8::CpuFeatures& f = q8::cpu_features();
        if (f.amx_permitted) {
            QVERIFY(f.amx_tile);
            QVERIFY(f.os_amx);
        }
        const std::string amx = q8::amx_description();
        if (!f.amx_tile) {
            QCOMPARE(amx, std::string("not present"));
            QVERIFY(!f.amx_permitted);
        } else {
            QCOMPARE(amx.ends_with("(permitted)"), f.amx_permitted);
            QCOMPARE(amx.find("not enabled by the OS") != std::string::npos, !f.os_amx);
        }
    }

    void amx_permission_agrees_with_the_kernel() {
        const q8::CpuFeatures& f = q8::cpu_features();
        uint64_t perm = 0;
        if (syscall(SYS_arch_prctl, ARCH_GET_XCOMP_PERM, &perm) != 0) {
            // Kernels before 5.16 have no such request, and no AMX support either.
            QVERIFY(!f.amx_permitted);
            return;
        }
        constexpr unsigned kXtileData = 18;
        QCOMPARE(((perm >> kXtileData) & 1) != 0, f.amx_permitted);
    }

    void description_names_the_active_isa() {
        const std::string d = q8::kernel_path_description();
        const std::string_view isa = q8::isa_name(q8::active_isa());
        QVERIFY2(d.starts_with(isa), d.c_str());
        const q8::CpuFeatures& f = q8::cpu_features();
        if (q8::active_isa() == Isa::Avx512) {
            QCOMPARE(d.find("vnni") != std::string::npos, f.avx512_vnni);
            QCOMPARE(d.find("bf16") != std::string::npos, f.avx512_bf16);
        } else {
            QCOMPARE(d, std::string(isa));  // AVX-512 extensions are not claimed below AVX-512
        }
    }

    void override_lowers_the_described_path() {
        const Isa before = q8::active_isa();
        const Isa best = q8::best_supported_isa();
        for (Isa isa : std::array{Isa::Avx512, Isa::Avx2, Isa::Scalar}) {
            q8::set_isa_override(isa);
            const Isa runs = std::min(isa, best);
            const std::string d = q8::kernel_path_description();
            QVERIFY2(d.starts_with(q8::isa_name(runs)), d.c_str());
            if (runs != Isa::Avx512) QCOMPARE(d, std::string(q8::isa_name(runs)));
        }
        q8::set_isa_override(before);
        QVERIFY(q8::kernel_path_description().starts_with(q8::isa_name(before)));
    }
};

QTEST_GUILESS_MAIN(TestCpuFeatures)
#include "test_cpu_features.moc"
