#pragma once
// Where the forward pass reads weights from. After loading, every weight matrix is copied into one
// anonymous allocation backed by transparent huge pages and the file's pages are released: decode
// streams every weight once per token, and with 4 KiB file pages a large share of that time went
// to TLB misses (2 MiB pages measured ~15% more bandwidth). Resident memory stays one copy.
#include <cstddef>
#include <cstdint>

namespace q8 {

struct Model;

// An anonymous mapping (huge pages requested), unmapped when destroyed. Move-only.
class HugePageBuffer {
public:
    HugePageBuffer() = default;
    explicit HugePageBuffer(size_t bytes);  // throws EngineError when the memory is not available
    ~HugePageBuffer();
    HugePageBuffer(HugePageBuffer&& other) noexcept;
    HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
    HugePageBuffer(const HugePageBuffer&) = delete;
    HugePageBuffer& operator=(const HugePageBuffer&) = delete;

    uint8_t* data() const { return data_; }
    size_t size() const { return size_; }

private:
    void reset() noexcept;
    uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

// Copies the bytes of every weight matrix of `m` into m.weight_arena, repoints the matrices, frees
// their converted storage and releases the file pages they were read from.
void move_weights_to_arena(Model& m);

}  // namespace q8
