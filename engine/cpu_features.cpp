#include "cpu_features.h"

#include <cpuid.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>

#include "engine_error.h"

namespace q8 {

namespace {

uint64_t xgetbv0() {
    uint32_t eax = 0, edx = 0;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (static_cast<uint64_t>(edx) << 32) | eax;
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

}  // namespace q8
