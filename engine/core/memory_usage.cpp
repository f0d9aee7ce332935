#include <q8/system.h>

#include <fstream>
#include <string>

namespace q8 {

namespace {
uint64_t status_kb(const char* key) {
    std::ifstream in("/proc/self/status");
    std::string line;
    const std::string k(key);
    while (std::getline(in, line)) {
        if (line.compare(0, k.size(), k) == 0) return std::stoull(line.substr(k.size())) * 1024;
    }
    return 0;
}
}  // namespace

uint64_t resident_memory_bytes() { return status_kb("VmRSS:"); }
uint64_t peak_resident_memory_bytes() { return status_kb("VmHWM:"); }

uint64_t available_memory_bytes() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    uint64_t kb = 0;
    std::string unit;
    while (in >> key >> kb >> unit) {
        if (key == "MemAvailable:") return kb * 1024;
    }
    return 0;
}

void reset_peak_resident_memory() {
    // Writing "5" to clear_refs resets VmHWM to the current VmRSS.
    std::ofstream clear_refs("/proc/self/clear_refs");
    clear_refs << "5";
}

}  // namespace q8
