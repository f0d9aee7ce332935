#include "kernels.h"

#include <algorithm>

namespace q8 {

const KernelTable& kernels_for(Isa isa) {
    switch (std::min(isa, best_supported_isa())) {
    case Isa::Avx512: return avx512_kernels();
    case Isa::Avx2: return avx2_kernels();
    case Isa::Scalar: break;
    }
    return scalar_kernels();
}

const KernelTable& active_kernels() { return kernels_for(active_isa()); }

}  // namespace q8
