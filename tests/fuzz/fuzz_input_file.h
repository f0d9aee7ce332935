#pragma once
// The engine's readers take a path and memory-map it, so each fuzz input is handed to them as an
// anonymous in-memory file (memfd): the same code path as a real file, no disk writes.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace q8fuzz {

class InputFile {
public:
    InputFile(const uint8_t* data, size_t size) : fd_(memfd_create("q8fuzz", MFD_CLOEXEC)) {
        if (fd_ < 0) __builtin_trap();
        for (size_t done = 0; done < size;) {
            const ssize_t n = write(fd_, data + done, size - done);
            if (n <= 0) __builtin_trap();
            done += static_cast<size_t>(n);
        }
        path_ = "/proc/self/fd/" + std::to_string(fd_);
    }
    ~InputFile() { close(fd_); }
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    const std::string& path() const { return path_; }

private:
    int fd_;
    std::string path_;
};

}  // namespace q8fuzz
