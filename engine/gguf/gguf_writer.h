#pragma once
// A GGUF v3 writer: metadata of every value type (copied from a source file or set here), tensor
// infos and aligned tensor data, written to a temporary file in the destination's directory and
// renamed over the destination only when complete, so a failure or cancellation never leaves a
// partial file. Tensor bytes are produced at write time, one tensor at a time, so a quantized
// model is never held twice in memory.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ggml_types.h"
#include "gguf_reader.h"

namespace q8::quant {

class GgufWriter {
public:
    // Copies one key (any value type except arrays of arrays) from a source file.
    void copy_key(const GgufFile& src, const std::string& key);
    void set_string(const std::string& key, const std::string& v);
    void set_u32(const std::string& key, uint32_t v);
    void set_u64(const std::string& key, uint64_t v);
    void set_f32(const std::string& key, float v);
    void set_bool(const std::string& key, bool v);
    void set_f32_array(const std::string& key, const std::vector<float>& v);
    void set_i32_array(const std::string& key, const std::vector<int32_t>& v);
    void set_string_array(const std::string& key, const std::vector<std::string>& v);
    bool has(const std::string& key) const;

    // ne in GGUF order (ne[0] contiguous). `fill` appends exactly the tensor's bytes to its
    // argument when the data section is written.
    void add_tensor(const std::string& name, GgmlType type, std::vector<uint64_t> ne,
                    std::function<void(std::vector<uint8_t>&)> fill);

    void set_alignment(uint32_t a) { alignment_ = a; }

    // Writes to `path` (via path.tmp.PID + rename). progress(fraction) after each tensor;
    // returning false stops, removes the temporary file and returns false. Throws EngineError
    // (also removing the temporary file) when the file cannot be written.
    bool write(const std::string& path, const std::function<bool(float)>& progress = {}) const;

    // Throws EngineError when a file cannot be created next to `path` (checked before any
    // expensive work, so an unwritable destination fails at once).
    static void check_writable(const std::string& path);

private:
    struct Kv {
        std::string key;
        std::vector<uint8_t> bytes;  // value type (u32) + encoded value
    };
    struct Tensor {
        std::string name;
        GgmlType type;
        std::vector<uint64_t> ne;
        uint64_t n_bytes;
        std::function<void(std::vector<uint8_t>&)> fill;
    };
    void set_raw(const std::string& key, std::vector<uint8_t> bytes);

    std::vector<Kv> kv_;
    std::vector<Tensor> tensors_;
    uint32_t alignment_ = 32;
};

}  // namespace q8::quant
