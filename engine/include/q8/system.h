#pragma once
// This machine and this process as the engine sees them: the kernel path chosen for the CPU,
// AMX, threads, and memory.
#include <cstdint>
#include <string>
#include <string_view>

namespace q8 {

struct CpuInfo {
    std::string kernel_path;  // e.g. "avx512 (vnni, bf16)", "avx2", "scalar"
    std::string amx;          // e.g. "int8+bf16 (permitted)", "not present"
    std::string features;     // every feature detected, e.g. "avx2 fma f16c avx512f ..."
    int default_threads = 1;  // threads a session uses when asked for 0
};

CpuInfo cpu_info();
// Forces a lower kernel path ("scalar", "avx2", "avx512"; never higher than the CPU runs). Throws
// EngineError for an unknown name.
void force_kernel_path(std::string_view name);

uint64_t resident_memory_bytes();       // VmRSS
uint64_t peak_resident_memory_bytes();  // VmHWM: the high-water mark since the last reset
// Restarts the high-water mark from the current resident set (Linux 4.0+; elsewhere it stays the
// process's). Each generation request does this, so its peak is its own.
void reset_peak_resident_memory();
uint64_t available_memory_bytes();      // MemAvailable, 0 when unknown

}  // namespace q8
