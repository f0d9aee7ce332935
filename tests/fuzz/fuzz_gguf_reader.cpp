// Arbitrary bytes as a GGUF file: the reader must either refuse them with EngineError or give
// back metadata and tensors that every accessor can walk without reading outside the map.
#include <cstddef>
#include <cstdint>
#include <span>

#include <q8/error.h>

#include "fuzz_input_file.h"
#include "gguf_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const q8fuzz::InputFile input(data, size);
    try {
        const q8::GgufFile f(input.path());
        for (const std::string& key : f.keys()) {
            const q8::GgufValue* v = f.find(key);
            if (v == nullptr) __builtin_trap();  // every listed key must be findable
            (void)f.value_to_string(*v);
            // The typed accessors on every key, whatever its type: each either converts or throws.
            try {
                (void)f.get_string(key);
            } catch (const q8::EngineError&) {
            }
            try {
                (void)f.get_uint(key);
            } catch (const q8::EngineError&) {
            }
            try {
                (void)f.get_int(key);
            } catch (const q8::EngineError&) {
            }
            try {
                (void)f.get_float(key);
            } catch (const q8::EngineError&) {
            }
            try {
                (void)f.get_bool(key);
            } catch (const q8::EngineError&) {
            }
            try {
                (void)f.get_string_array(key);
            } catch (const q8::EngineError&) {
            }
            try {
                (void)f.get_float_array(key);
            } catch (const q8::EngineError&) {
            }
            try {
                (void)f.get_int_array(key);
            } catch (const q8::EngineError&) {
            }
        }
        // A GGUF file's header starts its one map, which spans the whole file.
        const std::span<const uint8_t> bytes(f.header().data(), f.file_size());
        for (const q8::GgufTensorInfo& t : f.tensors()) {
            if (f.find_tensor(t.name) == nullptr) __builtin_trap();
            // A tensor's data must lie inside the file: touch its first and last byte.
            if (t.n_bytes > 0) {
                if (t.data < bytes.data() || t.data + t.n_bytes > bytes.data() + bytes.size()) __builtin_trap();
                volatile uint8_t edge = t.data[0];
                edge = t.data[t.n_bytes - 1];
                (void)edge;
            }
        }
        (void)f.tensor_type_summary();
    } catch (const q8::EngineError&) {
    }
    return 0;
}
