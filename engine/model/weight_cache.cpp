#include "weight_cache.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>
// xxHash in its header-only form: no link dependency (tools link libq8engine.a by hand).
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

namespace q8 {

namespace {

constexpr char kMagic[8] = {'Q', '8', 'C', 'A', 'C', 'H', 'E', '2'};
constexpr uint64_t kMaxCount = uint64_t{1} << 40;  // sanity bound on any length read back

struct StateDeleter {
    void operator()(XXH64_state_t* s) const { XXH64_freeState(s); }
};
using HashState = std::unique_ptr<XXH64_state_t, StateDeleter>;

HashState new_state() {
    HashState s(XXH64_createState());
    XXH64_reset(s.get(), 0);
    return s;
}

class Writer {
public:
    explicit Writer(std::ofstream& out) : out_(out), h_(new_state()) {}
    void bytes(const void* p, size_t n) {
        out_.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
        XXH64_update(h_.get(), p, n);
    }
    template <typename T>
    void put(T v) {
        bytes(&v, sizeof v);
    }
    void str(const std::string& s) {
        put<uint64_t>(s.size());
        bytes(s.data(), s.size());
    }
    uint64_t digest() const { return XXH64_digest(h_.get()); }

private:
    std::ofstream& out_;
    HashState h_;
};

class Reader {
public:
    explicit Reader(std::ifstream& in) : in_(in), h_(new_state()) {}
    bool bytes(void* p, size_t n) {
        in_.read(static_cast<char*>(p), static_cast<std::streamsize>(n));
        if (!in_) return false;
        XXH64_update(h_.get(), p, n);
        return true;
    }
    template <typename T>
    bool get(T& v) {
        return bytes(&v, sizeof v);
    }
    bool count(uint64_t& n) { return get(n) && n < kMaxCount; }
    bool str(std::string& s) {
        uint64_t n = 0;
        if (!count(n) || n > (1u << 20)) return false;
        s.resize(n);
        return bytes(s.data(), n);
    }
    uint64_t digest() const { return XXH64_digest(h_.get()); }

private:
    std::ifstream& in_;
    HashState h_;
};

std::string hex64(uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

}  // namespace

WeightCacheKey weight_cache_key(const GgufFile& file, const std::string& settings) {
    std::error_code ec;
    const std::string canon = std::filesystem::weakly_canonical(file.path(), ec).string();
    struct stat st {};
    int64_t mtime_ns = 0;
    if (::stat(file.path().c_str(), &st) == 0) mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    const auto header = file.header();
    const uint64_t header_hash = XXH64(header.data(), header.size(), 0);
    WeightCacheKey k;
    k.slot = "path=" + (canon.empty() ? file.path() : canon) + ";" + settings;
    k.full = k.slot + ";size=" + std::to_string(file.file_size()) + ";mtime_ns=" + std::to_string(mtime_ns) +
             ";header_xxh64=" + hex64(header_hash);
    return k;
}

std::string weight_cache_path(const std::string& cache_dir, const WeightCacheKey& key) {
    return (std::filesystem::path(cache_dir) / (hex64(XXH64(key.slot.data(), key.slot.size(), 0)) + ".q8cache"))
        .string();
}

bool read_weight_cache(const std::string& cache_dir, const WeightCacheKey& key,
                       std::map<std::string, WeightMatrix>& out) {
    const std::string path = weight_cache_path(cache_dir, key);
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    auto reject = [&](const char* why) {
        spdlog::warn("weight cache {}: {}; rebuilding it", path, why);
        in.close();
        std::remove(path.c_str());
        out.clear();
        return false;
    };
    char magic[8];
    in.read(magic, 8);
    if (!in || std::memcmp(magic, kMagic, 8) != 0) return reject("not a cache file of this version");
    Reader r(in);
    std::string stored_key;
    if (!r.str(stored_key)) return reject("truncated");
    if (stored_key != key.full) return reject("stale (the model file changed)");
    uint64_t n = 0;
    if (!r.count(n)) return reject("truncated");
    for (uint64_t i = 0; i < n; ++i) {
        std::string name;
        WeightMatrix w;
        uint8_t layout = 0, int8 = 0;
        uint32_t type = 0;
        uint64_t storage = 0, n_scale = 0, n_sum = 0, row_bytes = 0;
        if (!r.str(name) || !r.get(layout) || !r.get(type) || !r.get(w.group) || !r.get(int8) || !r.get(w.act_scale) ||
            !r.get(w.rows) || !r.get(w.cols) || !r.get(row_bytes) || !r.count(storage)) {
            return reject("truncated");
        }
        if (layout > static_cast<uint8_t>(WeightLayout::I8Row) || w.rows <= 0 || w.cols <= 0 ||
            storage != row_bytes * static_cast<uint64_t>(w.rows)) {
            return reject("corrupt matrix header");
        }
        w.layout = static_cast<WeightLayout>(layout);
        w.type = static_cast<GgmlType>(type);
        w.int8_activations = int8 != 0;
        w.act_blocks = int8 == 2;  // 2: int8 activation blocks
        w.row_bytes = row_bytes;
        w.storage.resize(storage);
        if (!r.bytes(w.storage.data(), storage) || !r.count(n_scale)) return reject("truncated");
        w.row_scale.resize(n_scale);
        if (!r.bytes(w.row_scale.data(), n_scale * 4) || !r.count(n_sum)) return reject("truncated");
        w.row_sum.resize(n_sum);
        if (!r.bytes(w.row_sum.data(), n_sum * 4)) return reject("truncated");
        w.data = w.storage.data();
        out[name] = std::move(w);
    }
    const uint64_t want = r.digest();
    uint64_t stored = 0;
    in.read(reinterpret_cast<char*>(&stored), 8);
    if (!in || stored != want) return reject("checksum mismatch (damaged)");
    return true;
}

void write_weight_cache(const std::string& cache_dir, const WeightCacheKey& key,
                        const std::vector<std::pair<std::string, const WeightMatrix*>>& matrices) {
    std::error_code ec;
    std::filesystem::create_directories(cache_dir, ec);
    const std::string path = weight_cache_path(cache_dir, key);
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) {
            spdlog::warn("weight cache: cannot write {}: {}", tmp, std::strerror(errno));
            return;
        }
        out.write(kMagic, 8);
        Writer w(out);
        w.str(key.full);
        w.put<uint64_t>(matrices.size());
        for (const auto& [name, m] : matrices) {
            w.str(name);
            w.put<uint8_t>(static_cast<uint8_t>(m->layout));
            w.put<uint32_t>(static_cast<uint32_t>(m->type));
            w.put<uint32_t>(m->group);
            w.put<uint8_t>(m->int8_activations ? (m->act_blocks ? 2 : 1) : 0);
            w.put<float>(m->act_scale);
            w.put<int64_t>(m->rows);
            w.put<int64_t>(m->cols);
            w.put<uint64_t>(m->row_bytes);
            w.put<uint64_t>(m->row_bytes * static_cast<uint64_t>(m->rows));
            w.bytes(m->data, m->row_bytes * static_cast<size_t>(m->rows));
            w.put<uint64_t>(m->row_scale.size());
            w.bytes(m->row_scale.data(), m->row_scale.size() * 4);
            w.put<uint64_t>(m->row_sum.size());
            w.bytes(m->row_sum.data(), m->row_sum.size() * 4);
        }
        const uint64_t digest = w.digest();
        out.write(reinterpret_cast<const char*>(&digest), 8);
        out.flush();
        if (!out) {
            spdlog::warn("weight cache: writing {} failed: {}", tmp, std::strerror(errno));
            out.close();
            std::remove(tmp.c_str());
            return;
        }
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        spdlog::warn("weight cache: cannot rename {} into place: {}", tmp, ec.message());
        std::remove(tmp.c_str());
    }
}

}  // namespace q8
