#pragma once
// Builds GGUF files byte by byte, so tests can make well-formed files and then break them in
// precise ways (a wrong count, a short string, a tensor past the end).
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace q8test {

struct GgufBytes {
    std::vector<uint8_t> b;

    template <typename T>
    GgufBytes& put(T v) {
        const size_t at = b.size();
        b.resize(at + sizeof(T));
        std::memcpy(b.data() + at, &v, sizeof(T));
        return *this;
    }
    GgufBytes& str(const std::string& s) {
        put<uint64_t>(s.size());
        b.insert(b.end(), s.begin(), s.end());
        return *this;
    }
    GgufBytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
        put<uint32_t>(0x46554747u).put<uint32_t>(version).put<uint64_t>(n_tensors).put<uint64_t>(n_kv);
        return *this;
    }
    GgufBytes& kv_string(const std::string& k, const std::string& v) { return str(k).put<uint32_t>(8).str(v); }
    GgufBytes& kv_u32(const std::string& k, uint32_t v) { return str(k).put<uint32_t>(4).put<uint32_t>(v); }
    GgufBytes& kv_f32(const std::string& k, float v) { return str(k).put<uint32_t>(6).put<float>(v); }
    GgufBytes& tensor_info(const std::string& name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
        str(name).put<uint32_t>(static_cast<uint32_t>(ne.size()));
        for (uint64_t d : ne) put<uint64_t>(d);
        return put<uint32_t>(type).put<uint64_t>(offset);
    }
    GgufBytes& align(size_t a = 32) {
        while (b.size() % a != 0) b.push_back(0);
        return *this;
    }
    GgufBytes& zeros(size_t n) {
        b.insert(b.end(), n, 0);
        return *this;
    }
    void write(const std::string& path) const {
        std::ofstream f(path, std::ios::binary);
        f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    }
};

}  // namespace q8test
