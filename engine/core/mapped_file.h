#pragma once
// A read-only memory map of a whole file, released when the object goes away.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace q8 {

class MappedFile {
public:
    explicit MappedFile(const std::string& path);  // throws EngineError naming the path
    ~MappedFile();
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;

    std::span<const uint8_t> bytes() const { return {data_, size_}; }
    const std::string& path() const { return path_; }

    // Tells the kernel that [offset, offset+len) is no longer needed in memory (after weights
    // were copied or repacked elsewhere), so resident memory holds one copy, not two.
    void release_pages(size_t offset, size_t len) const;

private:
    void reset() noexcept;
    std::string path_;
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
};

}  // namespace q8
