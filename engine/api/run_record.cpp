// Run records: the machine (CPU, kernel path, instruction sets), the build and the model files
// behind a run's figures.
#include <q8/run_record.h>

#include <sys/stat.h>
// xxHash in its header-only form, as the weight cache uses it.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include <q8/error.h>
#include <q8/models.h>
#include <q8/session.h>

#include "cpu_features.h"

namespace q8 {

namespace {

struct HashStateDeleter {
    void operator()(XXH3_state_t* s) const { XXH3_freeState(s); }
};

// Read in chunks rather than mapped: a map would count the whole file as resident memory, and a
// record is made next to figures that measure exactly that.
uint64_t hash_files(const std::vector<std::string>& paths) {
    std::unique_ptr<XXH3_state_t, HashStateDeleter> state(XXH3_createState());
    XXH3_64bits_reset(state.get());
    std::vector<char> chunk(size_t{4} << 20);
    for (const std::string& path : paths) {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw EngineError("cannot read " + path + " to hash it: " + std::strerror(errno));
        while (in) {
            in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
            XXH3_64bits_update(state.get(), chunk.data(), static_cast<size_t>(in.gcount()));
        }
        if (in.bad()) throw EngineError("cannot read " + path + " to hash it");
    }
    return XXH3_64bits_digest(state.get());
}

// The files a model is: the file itself, or every file of a Hugging Face folder in name order (a
// folder's identity is its files' sizes added up and their bytes hashed one after another).
std::vector<std::string> model_files(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) return {path};
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
        if (e.is_regular_file()) files.push_back(e.path().string());
    }
    if (ec) throw EngineError("cannot read " + path + ": " + ec.message());
    std::sort(files.begin(), files.end());
    return files;
}

std::string hex64(uint64_t v) {
    char s[17];
    std::snprintf(s, sizeof s, "%016llx", static_cast<unsigned long long>(v));
    return s;
}

std::string read_cpu_model_name() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) != 0) continue;
        const size_t colon = line.find(':');
        if (colon == std::string::npos) break;
        const size_t start = line.find_first_not_of(' ', colon + 1);
        return start == std::string::npos ? std::string() : line.substr(start);
    }
    return "unknown";
}

// Read once: the CPU does not change while the process runs, and every answer makes a record.
const std::string& cpu_model_name() {
    static const std::string name = read_cpu_model_name();
    return name;
}

std::string utc_now_iso8601() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char s[32];
    std::strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return s;
}

}  // namespace

FileIdentity file_identity(const std::string& path) {
    const std::vector<std::string> files = model_files(path);
    uint64_t bytes = 0;
    int64_t mtime_ns = 0;  // the newest file's
    for (const std::string& f : files) {
        struct stat st {};
        if (::stat(f.c_str(), &st) != 0) throw EngineError("cannot read " + f + ": " + std::strerror(errno));
        bytes += uint64_t(st.st_size);
        mtime_ns = std::max(mtime_ns, int64_t(st.st_mtim.tv_sec) * 1000000000 + int64_t(st.st_mtim.tv_nsec));
    }
    using Key = std::tuple<std::string, uint64_t, int64_t, size_t>;
    static std::mutex mutex;
    static std::map<Key, std::string> hashes;
    const Key key{path, bytes, mtime_ns, files.size()};

    FileIdentity id;
    id.name = std::filesystem::path(path).filename().string();
    if (id.name.empty()) id.name = std::filesystem::path(path).parent_path().filename().string();  // "folder/"
    id.bytes = bytes;
    {
        const std::lock_guard lock(mutex);
        if (const auto it = hashes.find(key); it != hashes.end()) {
            id.xxh3 = it->second;
            return id;
        }
    }
    id.xxh3 = hex64(hash_files(files));
    const std::lock_guard lock(mutex);
    hashes[key] = id.xxh3;
    return id;
}

RunRecord run_record(const ModelInfo& target, const ModelInfo* draft, int threads, int64_t n_ctx,
                     std::string_view configuration) {
    const CpuFeatures& f = cpu_features();
    RunRecord r;
    r.cpu_model = cpu_model_name();
    r.kernel_path = kernel_path_description();
    r.avx512 = active_isa() == Isa::Avx512;
    r.avx512_vnni = r.avx512 && f.avx512_vnni;
    r.avx512_bf16 = r.avx512 && f.avx512_bf16;
    r.amx = f.amx_int8 && f.os_amx && f.amx_permitted;
    r.threads = threads;
    r.n_ctx = n_ctx;
    r.configuration = configuration;
    r.precision = target.precision;
    r.model = file_identity(target.path);
    if (draft != nullptr && !draft->path.empty()) {
        r.draft = file_identity(draft->path);
        r.precision += " + draft (" + draft->precision + ")";
    }
    r.engine_version = engine_version();
    r.date = utc_now_iso8601();
    return r;
}

RunRecord run_record(const Session& session, std::string_view configuration) {
    const ModelInfo draft = session.draft_info();
    return run_record(session.info(), &draft, session.n_threads(), session.n_ctx(), configuration);
}

}  // namespace q8
