#pragma once
// A .safetensors file over a read-only memory map: an 8-byte little-endian header length, a JSON
// header giving each tensor's dtype, shape and byte range, then the data. Every length, offset
// and shape is checked against the file before use (ranges must lie inside the data, match their
// shape and not overlap); a malformed file raises EngineError naming the file and the tensor.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ggml_types.h"
#include "mapped_file.h"

namespace q8 {

struct SafetensorsTensor {
    std::string name;
    GgmlType type{};              // F32, F16 or BF16: the dtypes model weights come in
    std::vector<uint64_t> shape;  // row-major: shape.back() is the contiguous dimension
    uint64_t n_elements = 0;
    uint64_t n_bytes = 0;
    const uint8_t* data = nullptr;  // inside the map
};

class SafetensorsFile {
public:
    explicit SafetensorsFile(const std::string& path);  // throws EngineError

    const std::string& path() const { return map_.path(); }
    const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
    const SafetensorsTensor* find(std::string_view name) const;
    std::string_view header() const;  // the JSON header, as stored
    // Hands the map to an owner that outlives this object; the tensors' data stay valid in it.
    MappedFile take_map() && { return std::move(map_); }

private:
    MappedFile map_;
    uint64_t header_len_ = 0;
    std::vector<SafetensorsTensor> tensors_;
    std::unordered_map<std::string, size_t> index_;
};

// The largest JSON header accepted (the format's own limit), so a hostile length cannot make the
// reader parse or allocate more.
inline constexpr uint64_t kMaxSafetensorsHeader = 100u << 20;

}  // namespace q8
