#pragma once
// GGUF v2/v3 reader over a read-only memory map. Every count, length and offset is checked against
// the file before use; a malformed file raises EngineError naming the file and the field.
#include <array>
#include <cstdint>
#include <list>
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
    std::string origin;             // assembled files: where the tensor came from, for messages
};

// A GGUF file assembled in memory from another format (a Hugging Face folder, see engine/hf):
// metadata and tensors as a GGUF reader would see them. Strings, arrays and tensor data point
// into `maps` or into storage the assembly owns; the GgufFile made from it keeps both.
struct GgufAssembly {
    std::string path;
    std::string identity;  // what identifies the contents for caches (the source's headers)
    std::vector<MappedFile> maps;
    // Tensor bytes held in owned storage once opened for its weights (stay resident beside them).
    uint64_t copied_bytes = 0;

    void set_string(const std::string& key, std::string_view v);
    void set_u32(const std::string& key, uint32_t v);
    void set_i32(const std::string& key, int32_t v);
    void set_f32(const std::string& key, float v);
    void set_bool(const std::string& key, bool v);
    void set_string_array(const std::string& key, const std::vector<std::string>& v);
    void set_f32_array(const std::string& key, const std::vector<float>& v);
    void set_i32_array(const std::string& key, const std::vector<int32_t>& v);
    // ne in GGUF order (ne[0] contiguous); data must stay valid (in `maps` or from own()).
    void add_tensor(std::string name, GgmlType type, std::vector<uint64_t> ne, const uint8_t* data, std::string origin);
    uint8_t* own(size_t bytes);  // storage that lives as long as the file

    std::vector<std::pair<std::string, GgufValue>> metadata;
    std::vector<GgufTensorInfo> tensors;
    std::list<std::string> owned;  // a list, so owned bytes never move
};

class GgufFile {
public:
    explicit GgufFile(const std::string& path);  // throws EngineError
    explicit GgufFile(GgufAssembly parts);       // throws EngineError for duplicate names

    const std::string& path() const { return path_; }
    uint32_t version() const { return version_; }
    uint64_t file_size() const;  // bytes of every file it reads
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
    // What identifies the contents (for caches): the bytes before the tensor data, or an
    // assembled file's identity.
    std::span<const uint8_t> header() const;
    // Bytes of tensor data an assembled file copies into its own storage (0 for a GGUF file).
    uint64_t copied_bytes() const { return copied_bytes_; }
    // Tells the kernel that tensor bytes [data, data+n) of a mapped file are no longer needed in
    // memory (after they were copied or converted elsewhere); other bytes are left alone.
    void release_pages(const uint8_t* data, size_t n) const;

    // Renders a value for display (arrays are summarised).
    std::string value_to_string(const GgufValue& v) const;

private:
    [[noreturn]] void fail(const std::string& what) const;
    const GgufValue& require(std::string_view key) const;

    std::string path_;
    std::vector<MappedFile> maps_;  // a GGUF file's own map, or an assembled file's sources
    std::list<std::string> owned_;
    std::string identity_;
    uint64_t copied_bytes_ = 0;
    uint32_t version_ = 0;
    uint32_t alignment_ = 32;
    uint64_t data_offset_ = 0;
    std::vector<std::string> key_order_;
    std::unordered_map<std::string, GgufValue> kv_;
    std::vector<GgufTensorInfo> tensors_;
    std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace q8
