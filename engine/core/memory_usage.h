#pragma once
// This process's memory as the kernel counts it, for live charts and per-request metrics.
#include <cstdint>

namespace q8 {

uint64_t resident_memory_bytes();       // VmRSS
uint64_t peak_resident_memory_bytes();  // VmHWM

}  // namespace q8
