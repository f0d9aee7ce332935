#pragma once
// The kernel table of exactly one instruction set (not clamped to the CPU), so a test row runs the
// code it names. Callers skip the ISAs the CPU cannot run.
#include "kernels.h"

inline const q8::KernelTable& table_of(q8::Isa isa) {
    switch (isa) {
    case q8::Isa::Avx512: return q8::avx512_kernels();
    case q8::Isa::Avx2: return q8::avx2_kernels();
    case q8::Isa::Scalar: break;
    }
    return q8::scalar_kernels();
}
