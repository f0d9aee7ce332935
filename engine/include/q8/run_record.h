#pragma once
// What produced a run's figures, kept beside them so a figure can be traced to the machine, the
// build, the model file and the settings it was measured with. `q8bench` prints it with every
// JSON result, the window keeps it with every answer and every export (docs/metrics.md).
#include <cstdint>
#include <string>
#include <string_view>

namespace q8 {

class Session;
struct ModelInfo;

// A file as a record names it: enough to tell whether two runs used the same bytes.
struct FileIdentity {
    std::string name;  // the file name, without its folders
    uint64_t bytes = 0;
    std::string xxh3;  // XXH3-64 of the whole file, 16 hex digits
};

// Hashes the whole file the first time a (path, size, modification time) is seen in this process;
// later calls reuse that. Throws EngineError when the file cannot be read.
FileIdentity file_identity(const std::string& path);

struct RunRecord {
    std::string cpu_model;    // as /proc/cpuinfo names it
    std::string kernel_path;  // the path the kernels ran, e.g. "avx512 (vnni, bf16)"
    bool avx512 = false, avx512_vnni = false, avx512_bf16 = false;
    bool amx = false;  // usable by this process: present, enabled by the OS and permitted
    int threads = 0;
    int64_t n_ctx = 0;
    std::string configuration;  // "fp16", "q8", "q4", "q4+spec" (or "native")
    std::string precision;      // what the weights ran as, e.g. "q4 g32 W4A16"
    FileIdentity model;
    FileIdentity draft;          // name empty: no draft model
    std::string engine_version;  // `git describe` of the source the engine was built from
    std::string date;            // UTC, ISO 8601, when the record was made
};

// The record of a run on `session`, made now.
RunRecord run_record(const Session& session, std::string_view configuration);
// The same for a run made without a public Session: the loaded target, and the separate draft
// when there is one (nullptr otherwise).
RunRecord run_record(const ModelInfo& target, const ModelInfo* draft, int threads, int64_t n_ctx,
                     std::string_view configuration);
std::string engine_version();

}  // namespace q8
