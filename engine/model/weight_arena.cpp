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
#include "weight_formats.h"

namespace q8 {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kAlign = 64;  // each matrix starts on a cache line

size_t round_up(size_t v, size_t a) { return (v + a - 1) / a * a; }

// Copies w's bytes to dst. 4-bit matrices whose rows split into 128-value spans are repacked on
// the way, codes apart from scales, so the kernels read 128 codes in one load (compute/weight_formats.h,
// "split"), and relabelled; a Q4_0 matrix keeps its type, so it is still named Q4_0.
void place_matrix(WeightMatrix& w, uint8_t* dst) {
    const bool q4_0 = w.layout == WeightLayout::Ggml && w.type == GgmlType::Q4_0;
    const bool q4 = q4_0 || w.layout == WeightLayout::Q4Group || w.layout == WeightLayout::Q4GroupAsym;
    const size_t group = q4_0 ? 32 : w.group;
    const auto cols = static_cast<size_t>(w.cols);
    if (!q4 || !quant::q4_split_fits(cols, group)) {
        std::memcpy(dst, w.data, static_cast<size_t>(w.rows) * w.row_bytes);
        // Int8 activation blocks have kernels for split rows and Q8_0 rows only: other rows take
        // float activations, and say so in their format name.
        const bool q8_0 = w.layout == WeightLayout::Ggml && w.type == GgmlType::Q8_0;
        if (w.act_blocks && !q8_0) w.int8_activations = w.act_blocks = false;
        return;
    }
    const bool asym = w.layout == WeightLayout::Q4GroupAsym;
    for (int64_t r = 0; r < w.rows; ++r)
        quant::q4g_to_split(w.row(r), dst + static_cast<size_t>(r) * w.row_bytes, cols, group, asym);
    w.group = static_cast<uint32_t>(group);
    w.layout = asym ? WeightLayout::Q4SplitAsym : WeightLayout::Q4Split;
    if (!q4_0) w.type = GgmlType::F32;
}
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
        place_matrix(*w, dst);
        if (m.file) m.file->release_pages(w->data, n);
        w->data = dst;
        std::vector<uint8_t>().swap(w->storage);
        at += round_up(n, kAlign);
    }
    m.weight_arena = std::move(arena);
}

}  // namespace q8
