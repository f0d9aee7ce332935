#pragma once
// What this CPU can run, detected once at run time, and the kernel path chosen from it. The path
// can be forced lower (never higher) with the Q8_ISA environment variable or set_isa_override().
// AMX needs more than CPUID: the OS must enable its register state (XCR0) and, on Linux, grant
// the process permission to use tile data; detection asks for that permission once.
#include <string>
#include <string_view>

namespace q8 {

enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };

struct CpuFeatures {
    bool avx2 = false, fma = false, f16c = false;
    bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
    bool avx512_vnni = false, avx512_bf16 = false, avx512_fp16 = false;
    bool amx_tile = false, amx_int8 = false, amx_bf16 = false;  // as CPUID reports them
    bool os_avx = false, os_avx512 = false;                     // XGETBV says the OS saves these registers
    bool os_amx = false;         // XCR0 enables tile configuration and tile data (bits 17, 18)
    bool amx_permitted = false;  // the kernel granted this process tile data (arch_prctl)
};

const CpuFeatures& cpu_features();
Isa best_supported_isa();
// The path in use: the best supported one, lowered by Q8_ISA=scalar|avx2|avx512 or an override.
Isa active_isa();
void set_isa_override(Isa isa);  // clamps to what the CPU supports
std::string_view isa_name(Isa isa);
Isa parse_isa(std::string_view name);  // throws EngineError on an unknown name
std::string cpu_feature_summary();     // e.g. "avx2 fma f16c avx512f ... amx-int8"
// The active kernel path and the AVX-512 extensions it can use: "avx512 (vnni, bf16, fp16)",
// "avx512", "avx2" or "scalar".
std::string kernel_path_description();
// AMX as this process can use it: "int8+bf16 (permitted)", "int8+bf16 (not enabled by the OS)",
// "int8+bf16 (permission denied)" or "not present".
std::string amx_description();

}  // namespace q8
