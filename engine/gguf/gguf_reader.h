#pragma once
// GGUF v2/v3 reader over a read-only memory map. Every count, length and offset is checked against
// the file before use; a malformed file raises EngineError naming the file and the field.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ggml_types.h"
#include "mapped_file.h"

namespace q8 {

enum class GgufValueType : uint32_t {
    UINT8 = 0,
    INT8 = 1,
    UINT16 = 2,
    INT16 = 3,
    UINT32 = 4,
    INT32 = 5,
    FLOAT32 = 6,
    BOOL = 7,
    STRING = 8,
    ARRAY = 9,
    UINT64 = 10,
    INT64 = 11,
    FLOAT64 = 12,
};

std::string_view gguf_type_name(GgufValueType t);
// Bytes of one scalar value of type t; 0 for STRING and ARRAY.
uint64_t gguf_scalar_size(GgufValueType t);

// One metadata value. Scalars are widened into the fields below; arrays of scalars point into the
// map (raw little-endian elements), arrays of strings are split into views. Nested arrays are
// validated and counted but their elements are not exposed (no known key uses them).
struct GgufValue {
    GgufValueType type{};
    uint64_t u = 0;                         // unsigned integers and bool
    int64_t i = 0;                          // signed integers
    double f = 0.0;                         // floats
    std::string_view str;                   // STRING
    GgufValueType elem_type{};              // ARRAY: element type
    uint64_t count = 0;                     // ARRAY: element count
    const uint8_t* elems = nullptr;         // ARRAY of scalars
    std::vector<std::string_view> strings;  // ARRAY of STRING
};

struct GgufTensorInfo {
    std::string name;
    uint32_t n_dims = 0;
    std::array<uint64_t, 4> ne{1, 1, 1, 1};  // ne[0] is the contiguous (fastest) dimension
    GgmlType type{};
    uint64_t offset = 0;  // relative to the data section
    uint64_t n_elements = 0;
    uint64_t n_bytes = 0;
    const uint8_t* data = nullptr;  // inside the map
};

class GgufFile {
public:
    explicit GgufFile(const std::string& path);  // throws EngineError

    const std::string& path() const { return map_.path(); }
    uint32_t version() const { return version_; }
    uint64_t file_size() const { return map_.bytes().size(); }
    uint32_t alignment() const { return alignment_; }
    uint64_t data_offset() const { return data_offset_; }

    const std::vector<std::string>& keys() const { return key_order_; }
    bool has(std::string_view key) const;
    const GgufValue* find(std::string_view key) const;

    // Typed accessors. They throw EngineError naming the key when it is missing or of a type that
    // cannot represent the request; the opt_ variants return nullopt when missing.
    std::string get_string(std::string_view key) const;
    uint64_t get_uint(std::string_view key) const;
    int64_t get_int(std::string_view key) const;
    double get_float(std::string_view key) const;
    bool get_bool(std::string_view key) const;
    std::optional<std::string> opt_string(std::string_view key) const;
    std::optional<uint64_t> opt_uint(std::string_view key) const;
    std::optional<int64_t> opt_int(std::string_view key) const;
    std::optional<double> opt_float(std::string_view key) const;
    std::optional<bool> opt_bool(std::string_view key) const;
    std::span<const std::string_view> get_string_array(std::string_view key) const;
    std::vector<float> get_float_array(std::string_view key) const;  // any numeric element type
    std::vector<int64_t> get_int_array(std::string_view key) const;  // any integer element type

    const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
    const GgufTensorInfo* find_tensor(std::string_view name) const;
    std::string tensor_type_summary() const;  // tensors per type, e.g. "F16 x 154, F32 x 45"
    const MappedFile& map() const { return map_; }

    // Renders a value for display (arrays are summarised).
    std::string value_to_string(const GgufValue& v) const;

private:
    [[noreturn]] void fail(const std::string& what) const;
    const GgufValue& require(std::string_view key) const;

    MappedFile map_;
    uint32_t version_ = 0;
    uint32_t alignment_ = 32;
    uint64_t data_offset_ = 0;
    std::vector<std::string> key_order_;
    std::unordered_map<std::string, GgufValue> kv_;
    std::vector<GgufTensorInfo> tensors_;
    std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace q8
