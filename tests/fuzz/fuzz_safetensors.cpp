// Arbitrary bytes as a .safetensors file: the reader must either refuse them with EngineError or
// give back tensors that lie inside the data section, match their dtype and shape, do not overlap,
// and are found again by name.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <q8/error.h>

#include "fuzz_input_file.h"
#include "safetensors_file.h"

namespace {

uint64_t element_size(q8::GgmlType type) { return type == q8::GgmlType::F32 ? 4 : 2; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const q8fuzz::InputFile input(data, size);
    try {
        const q8::SafetensorsFile f(input.path());
        // The map starts 8 bytes (the header length) before the header; the data follow the header.
        const auto* begin = reinterpret_cast<const uint8_t*>(f.header().data()) - 8;
        const uint8_t* data_start = begin + 8 + f.header().size();
        const uint8_t* end = begin + size;
        std::vector<const q8::SafetensorsTensor*> sorted;
        for (const q8::SafetensorsTensor& t : f.tensors()) {
            if (f.find(t.name) != &t) __builtin_trap();
            uint64_t n = 1;
            for (uint64_t d : t.shape) n *= d;
            if (n != t.n_elements || t.n_bytes != n * element_size(t.type)) __builtin_trap();
            if (t.data < data_start || t.n_bytes > static_cast<uint64_t>(end - t.data)) __builtin_trap();
            if (t.n_bytes > 0) {
                volatile uint8_t edge = t.data[0];  // ASan checks both ends lie in the map
                edge = t.data[t.n_bytes - 1];
                (void)edge;
            }
            sorted.push_back(&t);
        }
        std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->data < b->data; });
        for (size_t i = 1; i < sorted.size(); ++i) {
            if (sorted[i - 1]->data + sorted[i - 1]->n_bytes > sorted[i]->data) __builtin_trap();
        }
    } catch (const q8::EngineError&) {
    }
    return 0;
}
