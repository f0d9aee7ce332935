#include "gguf_writer.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <q8/error.h>

namespace q8::quant {

namespace {

template <typename T>
void put(std::vector<uint8_t>& b, T v) {
    uint8_t raw[sizeof(T)];
    std::memcpy(raw, &v, sizeof(T));
    b.insert(b.end(), raw, raw + sizeof(T));
}

void put_str(std::vector<uint8_t>& b, std::string_view s) {
    put<uint64_t>(b, s.size());
    b.insert(b.end(), s.begin(), s.end());
}

void put_scalar(std::vector<uint8_t>& b, const GgufValue& v) {
    switch (v.type) {
    case GgufValueType::UINT8: put<uint8_t>(b, static_cast<uint8_t>(v.u)); break;
    case GgufValueType::INT8: put<int8_t>(b, static_cast<int8_t>(v.i)); break;
    case GgufValueType::UINT16: put<uint16_t>(b, static_cast<uint16_t>(v.u)); break;
    case GgufValueType::INT16: put<int16_t>(b, static_cast<int16_t>(v.i)); break;
    case GgufValueType::UINT32: put<uint32_t>(b, static_cast<uint32_t>(v.u)); break;
    case GgufValueType::INT32: put<int32_t>(b, static_cast<int32_t>(v.i)); break;
    case GgufValueType::FLOAT32: put<float>(b, static_cast<float>(v.f)); break;
    case GgufValueType::BOOL: put<uint8_t>(b, v.u ? 1 : 0); break;
    case GgufValueType::UINT64: put<uint64_t>(b, v.u); break;
    case GgufValueType::INT64: put<int64_t>(b, v.i); break;
    case GgufValueType::FLOAT64: put<double>(b, v.f); break;
    default: break;
    }
}

uint64_t pad(uint64_t n, uint64_t a) { return (a - n % a) % a; }

}  // namespace

void GgufWriter::set_raw(const std::string& key, std::vector<uint8_t> bytes) {
    for (Kv& kv : kv_) {
        if (kv.key == key) {
            kv.bytes = std::move(bytes);
            return;
        }
    }
    kv_.push_back({key, std::move(bytes)});
}

bool GgufWriter::has(const std::string& key) const {
    for (const Kv& kv : kv_)
        if (kv.key == key) return true;
    return false;
}

void GgufWriter::copy_key(const GgufFile& src, const std::string& key) {
    const GgufValue* v = src.find(key);
    if (v == nullptr) throw EngineError(src.path() + ": no key '" + key + "' to copy");
    std::vector<uint8_t> b;
    put<uint32_t>(b, static_cast<uint32_t>(v->type));
    if (v->type == GgufValueType::STRING) {
        put_str(b, v->str);
    } else if (v->type == GgufValueType::ARRAY) {
        put<uint32_t>(b, static_cast<uint32_t>(v->elem_type));
        put<uint64_t>(b, v->count);
        if (v->elem_type == GgufValueType::STRING) {
            for (std::string_view s : v->strings) put_str(b, s);
        } else if (const size_t es = static_cast<size_t>(gguf_scalar_size(v->elem_type)); es > 0) {
            b.insert(b.end(), v->elems, v->elems + es * v->count);
        } else {
            throw EngineError(src.path() + ": key '" + key +
                              "' is an array of arrays, which this writer does not copy");
        }
    } else {
        put_scalar(b, *v);
    }
    set_raw(key, std::move(b));
}

void GgufWriter::set_string(const std::string& key, const std::string& v) {
    std::vector<uint8_t> b;
    put<uint32_t>(b, static_cast<uint32_t>(GgufValueType::STRING));
    put_str(b, v);
    set_raw(key, std::move(b));
}
void GgufWriter::set_u32(const std::string& key, uint32_t v) {
    std::vector<uint8_t> b;
    put<uint32_t>(b, static_cast<uint32_t>(GgufValueType::UINT32));
    put<uint32_t>(b, v);
    set_raw(key, std::move(b));
}
void GgufWriter::set_u64(const std::string& key, uint64_t v) {
    std::vector<uint8_t> b;
    put<uint32_t>(b, static_cast<uint32_t>(GgufValueType::UINT64));
    put<uint64_t>(b, v);
    set_raw(key, std::move(b));
}
void GgufWriter::set_f32(const std::string& key, float v) {
    std::vector<uint8_t> b;
    put<uint32_t>(b, static_cast<uint32_t>(GgufValueType::FLOAT32));
    put<float>(b, v);
    set_raw(key, std::move(b));
}
void GgufWriter::set_bool(const std::string& key, bool v) {
    std::vector<uint8_t> b;
    put<uint32_t>(b, static_cast<uint32_t>(GgufValueType::BOOL));
    put<uint8_t>(b, v ? 1 : 0);
    set_raw(key, std::move(b));
}
void GgufWriter::set_f32_array(const std::string& key, const std::vector<float>& v) {
    std::vector<uint8_t> b;
    put<uint32_t>(b, static_cast<uint32_t>(GgufValueType::ARRAY));
    put<uint32_t>(b, static_cast<uint32_t>(GgufValueType::FLOAT32));
    put<uint64_t>(b, v.size());
    for (float f : v) put<float>(b, f);
    set_raw(key, std::move(b));
}
void GgufWriter::set_i32_array(const std::string& key, const std::vector<int32_t>& v) {
    std::vector<uint8_t> b;
    put<uint32_t>(b, static_cast<uint32_t>(GgufValueType::ARRAY));
    put<uint32_t>(b, static_cast<uint32_t>(GgufValueType::INT32));
    put<uint64_t>(b, v.size());
    for (int32_t i : v) put<int32_t>(b, i);
    set_raw(key, std::move(b));
}
void GgufWriter::set_string_array(const std::string& key, const std::vector<std::string>& v) {
    std::vector<uint8_t> b;
    put<uint32_t>(b, static_cast<uint32_t>(GgufValueType::ARRAY));
    put<uint32_t>(b, static_cast<uint32_t>(GgufValueType::STRING));
    put<uint64_t>(b, v.size());
    for (const std::string& s : v) put_str(b, s);
    set_raw(key, std::move(b));
}

void GgufWriter::add_tensor(const std::string& name, GgmlType type, std::vector<uint64_t> ne,
                            std::function<void(std::vector<uint8_t>&)> fill) {
    const auto traits = type_traits(static_cast<uint32_t>(type));
    if (!traits) throw EngineError("GGUF writer: tensor '" + name + "' has an unknown type");
    uint64_t n = 1;
    for (uint64_t d : ne) n *= d;
    if (ne.empty() || ne.size() > 4 || ne[0] % traits->block_elems != 0) {
        throw EngineError("GGUF writer: tensor '" + name + "' does not split into " + std::string(traits->name) +
                          " blocks");
    }
    tensors_.push_back({name, type, std::move(ne), n / traits->block_elems * traits->block_bytes, std::move(fill)});
}

void GgufWriter::check_writable(const std::string& path) {
    const std::string probe = path + ".tmp." + std::to_string(::getpid());
    std::ofstream f(probe, std::ios::binary);
    if (!f) throw EngineError(path + ": cannot write there (" + std::strerror(errno) + ")");
    f.close();
    std::remove(probe.c_str());
}

bool GgufWriter::write(const std::string& path, const std::function<bool(float)>& progress) const {
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw EngineError(path + ": cannot create " + tmp + " (" + std::strerror(errno) + ")");
    auto fail = [&](const std::string& why) {
        out.close();
        std::remove(tmp.c_str());
        throw EngineError(path + ": " + why);
    };
    try {
        std::vector<uint8_t> b;
        b.reserve(1 << 16);
        for (char c : {'G', 'G', 'U', 'F'}) b.push_back(static_cast<uint8_t>(c));
        put<uint32_t>(b, 3);
        put<uint64_t>(b, tensors_.size());
        const bool align_key = alignment_ != 32;
        put<uint64_t>(b, kv_.size() + (align_key && !has("general.alignment") ? 1 : 0));
        for (const Kv& kv : kv_) {
            put_str(b, kv.key);
            b.insert(b.end(), kv.bytes.begin(), kv.bytes.end());
        }
        if (align_key && !has("general.alignment")) {
            put_str(b, "general.alignment");
            put<uint32_t>(b, static_cast<uint32_t>(GgufValueType::UINT32));
            put<uint32_t>(b, alignment_);
        }
        uint64_t offset = 0;
        for (const Tensor& t : tensors_) {
            put_str(b, t.name);
            put<uint32_t>(b, static_cast<uint32_t>(t.ne.size()));
            for (uint64_t d : t.ne) put<uint64_t>(b, d);
            put<uint32_t>(b, static_cast<uint32_t>(t.type));
            put<uint64_t>(b, offset);
            offset += t.n_bytes + pad(t.n_bytes, alignment_);
        }
        b.resize(b.size() + pad(b.size(), alignment_), 0);
        out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
        for (size_t i = 0; i < tensors_.size(); ++i) {
            const Tensor& t = tensors_[i];
            b.clear();
            t.fill(b);
            if (b.size() != t.n_bytes) {
                fail("tensor '" + t.name + "' produced " + std::to_string(b.size()) + " bytes, expected " +
                     std::to_string(t.n_bytes));
            }
            b.resize(b.size() + pad(b.size(), alignment_), 0);
            out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
            if (!out) fail("write failed (" + std::string(std::strerror(errno)) + ")");
            if (progress && !progress(float(i + 1) / float(tensors_.size()))) {
                out.close();
                std::remove(tmp.c_str());
                return false;
            }
        }
        out.flush();
        if (!out) fail("write failed (" + std::string(std::strerror(errno)) + ")");
        out.close();
        std::error_code ec;
        std::filesystem::rename(tmp, path, ec);
        if (ec) fail("cannot rename " + tmp + " into place (" + ec.message() + ")");
    } catch (const EngineError&) {
        std::remove(tmp.c_str());
        throw;
    } catch (const std::exception& e) {
        out.close();
        std::remove(tmp.c_str());
        throw EngineError(path + ": " + e.what());
    }
    return true;
}

}  // namespace q8::quant
