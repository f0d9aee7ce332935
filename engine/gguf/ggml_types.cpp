#include "ggml_types.h"

namespace q8 {

std::optional<TypeTraits> type_traits(uint32_t type) {
    switch (static_cast<GgmlType>(type)) {
    case GgmlType::F32: return TypeTraits{"F32", 1, 4, true};
    case GgmlType::F16: return TypeTraits{"F16", 1, 2, true};
    case GgmlType::BF16: return TypeTraits{"BF16", 1, 2, true};
    case GgmlType::Q4_0: return TypeTraits{"Q4_0", 32, 18, true};
    case GgmlType::Q4_1: return TypeTraits{"Q4_1", 32, 20, false};
    case GgmlType::Q5_0: return TypeTraits{"Q5_0", 32, 22, false};
    case GgmlType::Q5_1: return TypeTraits{"Q5_1", 32, 24, false};
    case GgmlType::Q8_0: return TypeTraits{"Q8_0", 32, 34, true};
    case GgmlType::Q8_1: return TypeTraits{"Q8_1", 32, 36, false};
    case GgmlType::Q2_K: return TypeTraits{"Q2_K", 256, 84, false};
    case GgmlType::Q3_K: return TypeTraits{"Q3_K", 256, 110, false};
    case GgmlType::Q4_K: return TypeTraits{"Q4_K", 256, 144, true};
    case GgmlType::Q5_K: return TypeTraits{"Q5_K", 256, 176, true};
    case GgmlType::Q6_K: return TypeTraits{"Q6_K", 256, 210, true};
    case GgmlType::Q8_K: return TypeTraits{"Q8_K", 256, 292, false};
    case GgmlType::I8: return TypeTraits{"I8", 1, 1, false};
    case GgmlType::I16: return TypeTraits{"I16", 1, 2, false};
    case GgmlType::I32: return TypeTraits{"I32", 1, 4, false};
    case GgmlType::I64: return TypeTraits{"I64", 1, 8, false};
    case GgmlType::F64: return TypeTraits{"F64", 1, 8, false};
    }
    return std::nullopt;
}

}  // namespace q8
