#pragma once
// Makes the disk look full to this process for a while: RLIMIT_FSIZE caps every file it writes,
// and with SIGXFSZ ignored a write past the cap fails with EFBIG, as a write to a full disk fails
// with ENOSPC. Both are restored on destruction.
#include <sys/resource.h>

#include <csignal>
#include <cstdint>

namespace q8test {

class FileSizeLimit {
public:
    explicit FileSizeLimit(uint64_t bytes) {
        getrlimit(RLIMIT_FSIZE, &old_);
        old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
        rlimit capped = old_;
        capped.rlim_cur = bytes;
        ok_ = setrlimit(RLIMIT_FSIZE, &capped) == 0;
    }
    ~FileSizeLimit() {
        setrlimit(RLIMIT_FSIZE, &old_);
        std::signal(SIGXFSZ, old_handler_);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;

    bool ok() const { return ok_; }

private:
    rlimit old_{};
    void (*old_handler_)(int) = nullptr;
    bool ok_ = false;
};

}  // namespace q8test
