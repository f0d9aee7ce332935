#pragma once
// Tensor element types as numbered in the GGUF format, and the block geometry of each type we
// read. Numbers are fixed by the format; only the types listed here are loadable.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace q8 {

enum class GgmlType : uint32_t {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    BF16 = 30,
};

struct TypeTraits {
    std::string_view name;
    uint32_t block_elems;  // elements per block (1 for plain types)
    uint32_t block_bytes;  // bytes per block
    bool loadable;         // the engine can turn it into weights
};

// Returns nullopt for a type number the format does not define (or we do not know).
std::optional<TypeTraits> type_traits(uint32_t type);

inline constexpr uint32_t kQK8_0 = 32;  // Q8_0: f16 d + 32 x int8
inline constexpr uint32_t kQK4_0 = 32;  // Q4_0: f16 d + 16 bytes of nibbles
inline constexpr uint32_t kQK_K = 256;  // K-quant super-block

}  // namespace q8
