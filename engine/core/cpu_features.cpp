#include "cpu_features.h"

#include <asm/prctl.h>
#include <cpuid.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <q8/error.h>

namespace q8 {

namespace {

// XSAVE state components of AMX (Intel SDM vol. 1, 13.1): tile configuration and tile data.
constexpr unsigned kXtileCfg = 17;
constexpr unsigned kXtileData = 18;

uint64_t xgetbv0() {
    uint32_t eax = 0, edx = 0;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
}

bool tile_data_permitted() {
    uint64_t perm = 0;
    return syscall(SYS_arch_prctl, ARCH_GET_XCOMP_PERM, &perm) == 0 && ((perm >> kXtileData) & 1) != 0;
}

// Linux (5.16+) enables AMX in XCR0 but allocates the 8 KiB tile-data save area only for processes
// that ask; the first AMX instruction of any other process is killed with SIGILL. The permission
// is process-wide and inherited by threads, so asking once before any kernel runs is enough.
bool request_amx_permission() {
    if (tile_data_permitted()) {
        spdlog::info("AMX: tile data already permitted for this process");
        return true;
    }
    if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, kXtileData) != 0) {
        const int err = errno;
        spdlog::info("AMX: the kernel denied tile data permission (arch_prctl ARCH_REQ_XCOMP_PERM: {})",
                     std::strerror(err));
        return false;
    }
    if (!tile_data_permitted()) {
        spdlog::info(
            "AMX: the kernel accepted the tile data request but does not report the permission; not using AMX");
        return false;
    }
    spdlog::info("AMX: tile data permission granted");
    return true;
}

void detect_amx(CpuFeatures& f) {
    if (!f.amx_tile) {
        spdlog::info("AMX: not present");
        return;
    }
    if (!f.os_amx) {
        spdlog::info("AMX: the CPU has it but the OS has not enabled tile state (XCR0 bits {} and {})", kXtileCfg,
                     kXtileData);
        return;
    }
    f.amx_permitted = request_amx_permission();
}

CpuFeatures detect() {
    CpuFeatures f;
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
    const bool osxsave = (c >> 27) & 1;
    f.fma = (c >> 12) & 1;
    f.f16c = (c >> 29) & 1;
    if (osxsave) {
        const uint64_t xcr0 = xgetbv0();
        f.os_avx = (xcr0 & 0x6) == 0x6;
        f.os_avx512 = f.os_avx && (xcr0 & 0xe0) == 0xe0;
        const uint64_t tiles = (uint64_t{1} << kXtileCfg) | (uint64_t{1} << kXtileData);
        f.os_amx = (xcr0 & tiles) == tiles;
    }
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        f.avx2 = (b >> 5) & 1;
        f.avx512f = (b >> 16) & 1;
        f.avx512dq = (b >> 17) & 1;
        f.avx512bw = (b >> 30) & 1;
        f.avx512vl = (b >> 31) & 1;
        f.avx512_vnni = (c >> 11) & 1;
        f.avx512_fp16 = (d >> 23) & 1;
        f.amx_bf16 = (d >> 22) & 1;
        f.amx_tile = (d >> 24) & 1;
        f.amx_int8 = (d >> 25) & 1;
    }
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) {
        f.avx512_bf16 = (a >> 5) & 1;
    }
    if (!f.os_avx) f.avx2 = f.fma = f.f16c = false;
    if (!f.os_avx512) {
        f.avx512f = f.avx512bw = f.avx512vl = f.avx512dq = false;
        f.avx512_vnni = f.avx512_bf16 = f.avx512_fp16 = false;
    }
    detect_amx(f);
    return f;
}

std::atomic<int> g_override{-1};

Isa env_isa() {
    const char* env = std::getenv("Q8_ISA");
    if (env == nullptr || *env == 0) return Isa::Avx512;
    try {
        return parse_isa(env);
    } catch (const EngineError& e) {
        spdlog::warn("ignoring Q8_ISA: {}", e.what());
        return Isa::Avx512;
    }
}

}  // namespace

const CpuFeatures& cpu_features() {
    static const CpuFeatures f = detect();
    return f;
}

Isa best_supported_isa() {
    const CpuFeatures& f = cpu_features();
    if (f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.fma && f.f16c) return Isa::Avx512;
    if (f.avx2 && f.fma && f.f16c) return Isa::Avx2;
    return Isa::Scalar;
}

Isa active_isa() {
    static const Isa from_env = std::min(env_isa(), best_supported_isa());
    const int o = g_override.load(std::memory_order_relaxed);
    return o >= 0 ? static_cast<Isa>(o) : from_env;
}

void set_isa_override(Isa isa) {
    g_override.store(static_cast<int>(std::min(isa, best_supported_isa())), std::memory_order_relaxed);
}

std::string_view isa_name(Isa isa) {
    switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
    }
    return "?";
}

Isa parse_isa(std::string_view name) {
    if (name == "scalar" || name == "c++") return Isa::Scalar;
    if (name == "avx2") return Isa::Avx2;
    if (name == "avx512") return Isa::Avx512;
    throw EngineError("unknown instruction set '" + std::string(name) + "' (use scalar, avx2 or avx512)");
}

std::string cpu_feature_summary() {
    const CpuFeatures& f = cpu_features();
    std::string s;
    auto add = [&s](bool on, const char* name) {
        if (!on) return;
        if (!s.empty()) s += ' ';
        s += name;
    };
    add(f.avx2, "avx2");
    add(f.fma, "fma");
    add(f.f16c, "f16c");
    add(f.avx512f, "avx512f");
    add(f.avx512bw, "avx512bw");
    add(f.avx512vl, "avx512vl");
    add(f.avx512_vnni, "avx512-vnni");
    add(f.avx512_bf16, "avx512-bf16");
    add(f.avx512_fp16, "avx512-fp16");
    add(f.amx_tile, "amx-tile");
    add(f.amx_int8, "amx-int8");
    add(f.amx_bf16, "amx-bf16");
    return s.empty() ? "none" : s;
}

std::string kernel_path_description() {
    const Isa isa = active_isa();
    std::string s(isa_name(isa));
    if (isa != Isa::Avx512) return s;
    const CpuFeatures& f = cpu_features();
    std::string ext;
    for (const auto& [on, name] :
         {std::pair{f.avx512_vnni, "vnni"}, {f.avx512_bf16, "bf16"}, {f.avx512_fp16, "fp16"}}) {
        if (on) ext += (ext.empty() ? "" : ", ") + std::string(name);
    }
    return ext.empty() ? s : s + " (" + ext + ")";
}

std::string amx_description() {
    const CpuFeatures& f = cpu_features();
    if (!f.amx_tile) return "not present";
    const std::string kinds = f.amx_int8 && f.amx_bf16 ? "int8+bf16"
                              : f.amx_int8             ? "int8"
                              : f.amx_bf16             ? "bf16"
                                                       : "tiles only";
    if (!f.os_amx) return kinds + " (not enabled by the OS)";
    return kinds + (f.amx_permitted ? " (permitted)" : " (permission denied)");
}

}  // namespace q8
