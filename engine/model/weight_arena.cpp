#include "weight_arena.h"

#include <spdlog/spdlog.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include <q8/error.h>

#include "arch_tensors.h"
#include "model.h"
#include "weight_quant.h"

namespace q8 {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kAlign = 64;  // each matrix starts on a cache line

size_t round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

}  // namespace

HugePageBuffer::HugePageBuffer(size_t bytes) {
    if (bytes == 0) return;
    size_ = round_up(bytes, kHugePage);
    // Over-allocate by one huge page so the start can be aligned to 2 MiB, which THP needs.
    const size_t mapped = size_ + kHugePage;
    void* p = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        throw EngineError("cannot allocate " + std::to_string(bytes >> 20) +
                          " MiB for the weights: " + std::strerror(errno));
    }
    auto* base = static_cast<uint8_t*>(p);
    const auto addr = reinterpret_cast<uintptr_t>(base);
    const size_t lead = round_up(addr, kHugePage) - addr;
    if (lead > 0) ::munmap(base, lead);
    if (kHugePage - lead > 0) ::munmap(base + lead + size_, kHugePage - lead);
    data_ = base + lead;
    if (::madvise(data_, size_, MADV_HUGEPAGE) != 0) {
        spdlog::debug("huge pages not available for the weights ({}); using normal pages", std::strerror(errno));
    }
}

HugePageBuffer::~HugePageBuffer() { reset(); }

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
    if (this != &other) {
        reset();
        data_ = std::exchange(other.data_, nullptr);
        size_ = std::exchange(other.size_, 0);
    }
    return *this;
}

void HugePageBuffer::reset() noexcept {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = nullptr;
    size_ = 0;
}

void move_weights_to_arena(Model& m) {
    const std::vector<WeightMatrix*> all = model_matrices(m);
    size_t total = 0;
    for (const WeightMatrix* w : all) total += round_up(static_cast<size_t>(w->rows) * w->row_bytes, kAlign);
    HugePageBuffer arena(total);
    size_t at = 0;
    for (WeightMatrix* w : all) {
        const size_t n = static_cast<size_t>(w->rows) * w->row_bytes;
        uint8_t* dst = arena.data() + at;
        repack_for_kernels(*w, dst);
        if (m.file) m.file->release_pages(w->data, n);
        w->data = dst;
        std::vector<uint8_t>().swap(w->storage);
        at += round_up(n, kAlign);
    }
    m.weight_arena = std::move(arena);
}

}  // namespace q8
