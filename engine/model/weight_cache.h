#pragma once
// The on-disk cache of quantize-at-load results. One file per (model file, settings) in the cache
// directory, named by a hash of its key; the key is the model's canonical path, size, mtime (ns),
// an xxHash64 of its GGUF header (metadata and tensor table) and the conversion settings. The
// entry repeats the whole key and ends with an xxHash64 of its contents, so a stale entry (the
// model changed), a different setting or a damaged file is detected, deleted and rebuilt, never
// used. Entries are written to a temporary file and renamed into place.
#include <map>
#include <string>
#include <vector>

#include "gguf_reader.h"
#include "model.h"

namespace q8 {

// Where an entry lives is decided by the file's path and the settings only (`slot`), so a stale
// entry for the same file and settings is found, recognised by the full key and replaced.
struct WeightCacheKey {
    std::string slot;  // canonical path + settings
    std::string full;  // slot + size + mtime + header hash
};

// The key of `file` converted with `settings` (any string that names the conversion exactly).
WeightCacheKey weight_cache_key(const GgufFile& file, const std::string& settings);
std::string weight_cache_path(const std::string& cache_dir, const WeightCacheKey& key);

// Reads the entry for `key`: true with the matrices by tensor name when present and valid. A
// present but invalid entry is deleted (with a log line saying why) and false is returned.
bool read_weight_cache(const std::string& cache_dir, const WeightCacheKey& key,
                       std::map<std::string, WeightMatrix>& out);

// Writes the entry (temporary file + rename). Failure is logged, not thrown: the cache is an
// optimisation.
void write_weight_cache(const std::string& cache_dir, const WeightCacheKey& key,
                        const std::vector<std::pair<std::string, const WeightMatrix*>>& matrices);

}  // namespace q8
