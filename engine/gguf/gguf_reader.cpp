#include "gguf_reader.h"

#include <cstring>
#include <limits>
#include <map>

#include <q8/error.h>

namespace q8 {

namespace {

constexpr uint32_t kMaxDims = 4;
constexpr int kMaxArrayNesting = 4;

// Reads little-endian values from the map, refusing to step past its end. The field name given to
// each read ends up in the error message.
class Cursor {
public:
    Cursor(const GgufFile& f, std::span<const uint8_t> bytes) : file_(f), bytes_(bytes) {}

    uint64_t pos() const { return pos_; }
    uint64_t remaining() const { return bytes_.size() - pos_; }

    template <typename T>
    T read(const std::string& field) {
        need(sizeof(T), field);
        T v;
        std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }

    std::string_view read_string(const std::string& field) {
        const uint64_t len = read<uint64_t>(field + " (string length)");
        need(len, field + " (string of " + std::to_string(len) + " bytes)");
        std::string_view s(reinterpret_cast<const char*>(bytes_.data() + pos_), len);
        pos_ += len;
        return s;
    }

    const uint8_t* take(uint64_t n, const std::string& field) {
        need(n, field);
        const uint8_t* p = bytes_.data() + pos_;
        pos_ += n;
        return p;
    }

    void need(uint64_t n, const std::string& field) const {
        if (n > remaining()) {
            throw EngineError(file_.path() + ": truncated or corrupt: " + field + " needs " + std::to_string(n) +
                              " bytes at offset " + std::to_string(pos_) + " but the file has " +
                              std::to_string(remaining()) + " left");
        }
    }

private:
    const GgufFile& file_;
    std::span<const uint8_t> bytes_;
    uint64_t pos_ = 0;
};

bool valid_value_type(uint32_t t) { return t <= static_cast<uint32_t>(GgufValueType::FLOAT64); }

bool is_integer(GgufValueType t) {
    switch (t) {
    case GgufValueType::UINT8:
    case GgufValueType::INT8:
    case GgufValueType::UINT16:
    case GgufValueType::INT16:
    case GgufValueType::UINT32:
    case GgufValueType::INT32:
    case GgufValueType::UINT64:
    case GgufValueType::INT64: return true;
    default: return false;
    }
}

bool is_signed(GgufValueType t) {
    return t == GgufValueType::INT8 || t == GgufValueType::INT16 || t == GgufValueType::INT32 ||
           t == GgufValueType::INT64;
}

// Reads one little-endian scalar at p as (unsigned, signed, float) according to its type.
void decode_scalar(GgufValueType t, const uint8_t* p, uint64_t& u, int64_t& i, double& f) {
    auto load = [p](auto v) {
        std::memcpy(&v, p, sizeof(v));
        return v;
    };
    switch (t) {
    case GgufValueType::UINT8:
        u = load(uint8_t{});
        i = static_cast<int64_t>(u);
        f = double(u);
        break;
    case GgufValueType::BOOL:
        u = load(uint8_t{}) != 0;
        i = static_cast<int64_t>(u);
        f = double(u);
        break;
    case GgufValueType::INT8:
        i = load(int8_t{});
        u = static_cast<uint64_t>(i);
        f = double(i);
        break;
    case GgufValueType::UINT16:
        u = load(uint16_t{});
        i = static_cast<int64_t>(u);
        f = double(u);
        break;
    case GgufValueType::INT16:
        i = load(int16_t{});
        u = static_cast<uint64_t>(i);
        f = double(i);
        break;
    case GgufValueType::UINT32:
        u = load(uint32_t{});
        i = static_cast<int64_t>(u);
        f = double(u);
        break;
    case GgufValueType::INT32:
        i = load(int32_t{});
        u = static_cast<uint64_t>(i);
        f = double(i);
        break;
    case GgufValueType::UINT64:
        u = load(uint64_t{});
        i = static_cast<int64_t>(u);
        f = double(u);
        break;
    case GgufValueType::INT64:
        i = load(int64_t{});
        u = static_cast<uint64_t>(i);
        f = double(i);
        break;
    case GgufValueType::FLOAT32: f = load(float{}); break;
    case GgufValueType::FLOAT64: f = load(double{}); break;
    default: break;
    }
}

bool mul_overflows(uint64_t a, uint64_t b, uint64_t& out) { return __builtin_mul_overflow(a, b, &out); }

void skip_array(Cursor& c, const std::string& field, int depth) {
    if (depth > kMaxArrayNesting) {
        c.need(std::numeric_limits<uint64_t>::max(), field + " (arrays nested too deeply)");
    }
    const uint32_t et = c.read<uint32_t>(field + " (array element type)");
    const uint64_t count = c.read<uint64_t>(field + " (array length)");
    if (!valid_value_type(et)) {
        throw EngineError(field + ": unknown array element type " + std::to_string(et));
    }
    const auto t = static_cast<GgufValueType>(et);
    if (t == GgufValueType::STRING) {
        c.need(count > c.remaining() / 8 ? std::numeric_limits<uint64_t>::max() : 0, field + " (array of strings)");
        for (uint64_t k = 0; k < count; ++k) c.read_string(field);
    } else if (t == GgufValueType::ARRAY) {
        c.need(count > c.remaining() / 12 ? std::numeric_limits<uint64_t>::max() : 0, field + " (array of arrays)");
        for (uint64_t k = 0; k < count; ++k) skip_array(c, field, depth + 1);
    } else {
        uint64_t bytes = 0;
        if (mul_overflows(count, gguf_scalar_size(t), bytes)) {
            c.need(std::numeric_limits<uint64_t>::max(), field + " (array data)");
        }
        c.take(bytes, field + " (array data)");
    }
}

}  // namespace

uint64_t gguf_scalar_size(GgufValueType t) {
    switch (t) {
    case GgufValueType::UINT8:
    case GgufValueType::INT8:
    case GgufValueType::BOOL: return 1;
    case GgufValueType::UINT16:
    case GgufValueType::INT16: return 2;
    case GgufValueType::UINT32:
    case GgufValueType::INT32:
    case GgufValueType::FLOAT32: return 4;
    case GgufValueType::UINT64:
    case GgufValueType::INT64:
    case GgufValueType::FLOAT64: return 8;
    case GgufValueType::STRING:
    case GgufValueType::ARRAY: return 0;
    }
    return 0;
}

std::string_view gguf_type_name(GgufValueType t) {
    switch (t) {
    case GgufValueType::UINT8: return "u8";
    case GgufValueType::INT8: return "i8";
    case GgufValueType::UINT16: return "u16";
    case GgufValueType::INT16: return "i16";
    case GgufValueType::UINT32: return "u32";
    case GgufValueType::INT32: return "i32";
    case GgufValueType::FLOAT32: return "f32";
    case GgufValueType::BOOL: return "bool";
    case GgufValueType::STRING: return "string";
    case GgufValueType::ARRAY: return "array";
    case GgufValueType::UINT64: return "u64";
    case GgufValueType::INT64: return "i64";
    case GgufValueType::FLOAT64: return "f64";
    }
    return "?";
}

void GgufFile::fail(const std::string& what) const { throw EngineError(path() + ": " + what); }

GgufFile::GgufFile(const std::string& path) : path_(path) {
    maps_.emplace_back(path);
    const auto bytes = maps_.front().bytes();
    Cursor c(*this, bytes);

    const auto magic = c.read<uint32_t>("magic");
    if (magic != 0x46554747u) {  // "GGUF" little-endian
        fail("not a GGUF file (bad magic)");
    }
    version_ = c.read<uint32_t>("version");
    if (version_ == 1) fail("GGUF version 1 is obsolete and not supported (versions 2 and 3 are)");
    if (version_ != 2 && version_ != 3) {
        fail("unsupported GGUF version " + std::to_string(version_) +
             ((version_ & 0xffffu) == 0 ? " (big-endian files are not supported)" : ""));
    }
    const uint64_t n_tensors = c.read<uint64_t>("tensor count");
    const uint64_t n_kv = c.read<uint64_t>("metadata count");
    // Each key/value needs at least 8+1+4+1 bytes and each tensor info 8+1+4+8+4+8, so counts
    // beyond what the file could hold are refused before any allocation.
    if (n_kv > c.remaining() / 13)
        fail("truncated or corrupt: metadata count " + std::to_string(n_kv) + " is larger than the file can hold");
    if (n_tensors > c.remaining() / 33)
        fail("truncated or corrupt: tensor count " + std::to_string(n_tensors) + " is larger than the file can hold");

    key_order_.reserve(n_kv);
    for (uint64_t k = 0; k < n_kv; ++k) {
        const std::string field = "metadata #" + std::to_string(k);
        std::string key(c.read_string(field + " key"));
        const std::string kfield = "metadata '" + key + "'";
        const uint32_t raw_type = c.read<uint32_t>(kfield + " type");
        if (!valid_value_type(raw_type)) fail(kfield + " has unknown value type " + std::to_string(raw_type));
        GgufValue v;
        v.type = static_cast<GgufValueType>(raw_type);
        if (v.type == GgufValueType::STRING) {
            v.str = c.read_string(kfield);
        } else if (v.type == GgufValueType::ARRAY) {
            const uint32_t et = c.read<uint32_t>(kfield + " array element type");
            if (!valid_value_type(et)) fail(kfield + " has unknown array element type " + std::to_string(et));
            v.elem_type = static_cast<GgufValueType>(et);
            v.count = c.read<uint64_t>(kfield + " array length");
            if (v.elem_type == GgufValueType::STRING) {
                if (v.count > c.remaining() / 8)
                    fail("truncated or corrupt: " + kfield + " array length " + std::to_string(v.count) +
                         " is larger than the file can hold");
                v.strings.reserve(v.count);
                for (uint64_t e = 0; e < v.count; ++e) v.strings.push_back(c.read_string(kfield + " element"));
            } else if (v.elem_type == GgufValueType::ARRAY) {
                if (v.count > c.remaining() / 12)
                    fail("truncated or corrupt: " + kfield + " array length " + std::to_string(v.count) +
                         " is larger than the file can hold");
                for (uint64_t e = 0; e < v.count; ++e) skip_array(c, kfield, 2);
            } else {
                uint64_t nbytes = 0;
                if (mul_overflows(v.count, gguf_scalar_size(v.elem_type), nbytes))
                    fail("truncated or corrupt: " + kfield + " array length overflows");
                v.elems = c.take(nbytes, kfield + " array data");
            }
        } else {
            const uint8_t* p = c.take(gguf_scalar_size(v.type), kfield);
            decode_scalar(v.type, p, v.u, v.i, v.f);
        }
        if (kv_.count(key) != 0) fail("duplicate metadata key '" + key + "'");
        key_order_.push_back(key);
        kv_.emplace(std::move(key), std::move(v));
    }

    if (const GgufValue* a = find("general.alignment")) {
        if (!is_integer(a->type) || a->u == 0 || a->u > (1u << 20) || (a->u & (a->u - 1)) != 0) {
            fail("metadata 'general.alignment' must be a power of two up to 1 MiB");
        }
        alignment_ = static_cast<uint32_t>(a->u);
    }

    tensors_.reserve(n_tensors);
    for (uint64_t t = 0; t < n_tensors; ++t) {
        GgufTensorInfo ti;
        ti.name = std::string(c.read_string("tensor #" + std::to_string(t) + " name"));
        const std::string tfield = "tensor '" + ti.name + "'";
        ti.n_dims = c.read<uint32_t>(tfield + " dimension count");
        if (ti.n_dims == 0 || ti.n_dims > kMaxDims)
            fail(tfield + " has " + std::to_string(ti.n_dims) + " dimensions (1 to 4 allowed)");
        ti.n_elements = 1;
        for (uint32_t d = 0; d < ti.n_dims; ++d) {
            ti.ne[d] = c.read<uint64_t>(tfield + " dimension");
            if (ti.ne[d] == 0) fail(tfield + " has a zero dimension");
            if (mul_overflows(ti.n_elements, ti.ne[d], ti.n_elements) || ti.n_elements > (uint64_t{1} << 48)) {
                fail(tfield + " has absurd dimensions (element count overflows)");
            }
        }
        const uint32_t raw_type = c.read<uint32_t>(tfield + " type");
        const auto traits = type_traits(raw_type);
        if (!traits) fail(tfield + " has unknown tensor type " + std::to_string(raw_type));
        ti.type = static_cast<GgmlType>(raw_type);
        if (ti.ne[0] % traits->block_elems != 0) {
            fail(tfield + " of type " + std::string(traits->name) + " has a row length " + std::to_string(ti.ne[0]) +
                 " that is not a multiple of the block size " + std::to_string(traits->block_elems));
        }
        ti.n_bytes = ti.n_elements / traits->block_elems * traits->block_bytes;
        ti.offset = c.read<uint64_t>(tfield + " offset");
        if (ti.offset % alignment_ != 0)
            fail(tfield + " offset " + std::to_string(ti.offset) + " is not aligned to " + std::to_string(alignment_));
        if (tensor_index_.count(ti.name) != 0) fail("duplicate tensor name '" + ti.name + "'");
        tensor_index_.emplace(ti.name, tensors_.size());
        tensors_.push_back(std::move(ti));
    }

    data_offset_ = (c.pos() + alignment_ - 1) / alignment_ * alignment_;
    if (n_tensors > 0 && data_offset_ > bytes.size()) fail("truncated: the tensor data section is missing");
    for (auto& ti : tensors_) {
        const uint64_t avail = bytes.size() - std::min<uint64_t>(data_offset_, bytes.size());
        if (ti.offset > avail || ti.n_bytes > avail - ti.offset) {
            fail("tensor '" + ti.name + "' data (" + std::to_string(ti.n_bytes) + " bytes at offset " +
                 std::to_string(data_offset_ + ti.offset) + ") extends past the end of the file (" +
                 std::to_string(bytes.size()) + " bytes)");
        }
        ti.data = bytes.data() + data_offset_ + ti.offset;
    }
}

GgufFile::GgufFile(GgufAssembly parts)
    : path_(std::move(parts.path)),
      maps_(std::move(parts.maps)),
      owned_(std::move(parts.owned)),
      identity_(std::move(parts.identity)),
      copied_bytes_(parts.copied_bytes),
      version_(3) {
    for (auto& [key, value] : parts.metadata) {
        if (kv_.count(key) != 0) fail("duplicate metadata key '" + key + "'");
        key_order_.push_back(key);
        kv_.emplace(std::move(key), std::move(value));
    }
    for (auto& t : parts.tensors) {
        if (tensor_index_.count(t.name) != 0) fail("duplicate tensor name '" + t.name + "'");
        tensor_index_.emplace(t.name, tensors_.size());
        tensors_.push_back(std::move(t));
    }
}

uint64_t GgufFile::file_size() const {
    uint64_t n = 0;
    for (const MappedFile& m : maps_) n += m.bytes().size();
    return n;
}

std::span<const uint8_t> GgufFile::header() const {
    if (!identity_.empty() || maps_.empty()) {
        return {reinterpret_cast<const uint8_t*>(identity_.data()), identity_.size()};
    }
    return maps_.front().bytes().first(std::min<size_t>(maps_.front().bytes().size(), data_offset_));
}

void GgufFile::release_pages(const uint8_t* data, size_t n) const {
    for (const MappedFile& m : maps_) {
        const auto b = m.bytes();
        if (data >= b.data() && data < b.data() + b.size()) m.release_pages(static_cast<size_t>(data - b.data()), n);
    }
}

void GgufAssembly::set_string(const std::string& key, std::string_view v) {
    GgufValue value;
    value.type = GgufValueType::STRING;
    value.str = owned.emplace_back(v);
    metadata.emplace_back(key, std::move(value));
}

namespace {
GgufValue scalar(GgufValueType type, uint64_t u, int64_t i, double f) {
    GgufValue v;
    v.type = type;
    v.u = u;
    v.i = i;
    v.f = f;
    return v;
}
}  // namespace

void GgufAssembly::set_u32(const std::string& key, uint32_t v) {
    metadata.emplace_back(key, scalar(GgufValueType::UINT32, v, v, v));
}
void GgufAssembly::set_i32(const std::string& key, int32_t v) {
    metadata.emplace_back(key, scalar(GgufValueType::INT32, static_cast<uint64_t>(v), v, v));
}
void GgufAssembly::set_f32(const std::string& key, float v) {
    metadata.emplace_back(key, scalar(GgufValueType::FLOAT32, 0, 0, v));
}
void GgufAssembly::set_bool(const std::string& key, bool v) {
    metadata.emplace_back(key, scalar(GgufValueType::BOOL, v, v, v));
}

void GgufAssembly::set_string_array(const std::string& key, const std::vector<std::string>& v) {
    GgufValue value;
    value.type = GgufValueType::ARRAY;
    value.elem_type = GgufValueType::STRING;
    value.count = v.size();
    value.strings.reserve(v.size());
    for (const std::string& s : v) value.strings.push_back(owned.emplace_back(s));
    metadata.emplace_back(key, std::move(value));
}

void GgufAssembly::set_f32_array(const std::string& key, const std::vector<float>& v) {
    GgufValue value;
    value.type = GgufValueType::ARRAY;
    value.elem_type = GgufValueType::FLOAT32;
    value.count = v.size();
    uint8_t* p = own(v.size() * sizeof(float));
    std::memcpy(p, v.data(), v.size() * sizeof(float));
    value.elems = p;
    metadata.emplace_back(key, std::move(value));
}

void GgufAssembly::set_i32_array(const std::string& key, const std::vector<int32_t>& v) {
    GgufValue value;
    value.type = GgufValueType::ARRAY;
    value.elem_type = GgufValueType::INT32;
    value.count = v.size();
    uint8_t* p = own(v.size() * sizeof(int32_t));
    std::memcpy(p, v.data(), v.size() * sizeof(int32_t));
    value.elems = p;
    metadata.emplace_back(key, std::move(value));
}

void GgufAssembly::add_tensor(std::string name, GgmlType type, std::vector<uint64_t> ne, const uint8_t* data,
                              std::string origin) {
    GgufTensorInfo t;
    t.name = std::move(name);
    t.n_dims = static_cast<uint32_t>(ne.size());
    t.n_elements = 1;
    for (size_t d = 0; d < ne.size() && d < t.ne.size(); ++d) {
        t.ne[d] = ne[d];
        t.n_elements *= ne[d];
    }
    t.type = type;
    const TypeTraits traits = *type_traits(static_cast<uint32_t>(type));
    t.n_bytes = t.n_elements / traits.block_elems * traits.block_bytes;
    t.data = data;
    t.origin = std::move(origin);
    tensors.push_back(std::move(t));
}

uint8_t* GgufAssembly::own(size_t bytes) { return reinterpret_cast<uint8_t*>(owned.emplace_back(bytes, '\0').data()); }

bool GgufFile::has(std::string_view key) const { return find(key) != nullptr; }

const GgufValue* GgufFile::find(std::string_view key) const {
    auto it = kv_.find(std::string(key));
    return it == kv_.end() ? nullptr : &it->second;
}

const GgufValue& GgufFile::require(std::string_view key) const {
    const GgufValue* v = find(key);
    if (v == nullptr) fail("missing metadata '" + std::string(key) + "'");
    return *v;
}

std::string GgufFile::get_string(std::string_view key) const {
    const GgufValue& v = require(key);
    if (v.type != GgufValueType::STRING)
        fail("metadata '" + std::string(key) + "' should be a string, not " + std::string(gguf_type_name(v.type)));
    return std::string(v.str);
}

uint64_t GgufFile::get_uint(std::string_view key) const {
    const GgufValue& v = require(key);
    if (!is_integer(v.type) || (is_signed(v.type) && v.i < 0)) {
        fail("metadata '" + std::string(key) + "' should be a non-negative integer");
    }
    return v.u;
}

int64_t GgufFile::get_int(std::string_view key) const {
    const GgufValue& v = require(key);
    if (!is_integer(v.type)) fail("metadata '" + std::string(key) + "' should be an integer");
    if (v.type == GgufValueType::UINT64 && v.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        fail("metadata '" + std::string(key) + "' is out of range");
    }
    return v.i;
}

double GgufFile::get_float(std::string_view key) const {
    const GgufValue& v = require(key);
    if (v.type == GgufValueType::FLOAT32 || v.type == GgufValueType::FLOAT64) return v.f;
    if (is_integer(v.type)) return is_signed(v.type) ? double(v.i) : double(v.u);
    fail("metadata '" + std::string(key) + "' should be a number");
}

bool GgufFile::get_bool(std::string_view key) const {
    const GgufValue& v = require(key);
    if (v.type != GgufValueType::BOOL) fail("metadata '" + std::string(key) + "' should be a bool");
    return v.u != 0;
}

std::optional<std::string> GgufFile::opt_string(std::string_view key) const {
    return has(key) ? std::optional(get_string(key)) : std::nullopt;
}
std::optional<uint64_t> GgufFile::opt_uint(std::string_view key) const {
    return has(key) ? std::optional(get_uint(key)) : std::nullopt;
}
std::optional<int64_t> GgufFile::opt_int(std::string_view key) const {
    return has(key) ? std::optional(get_int(key)) : std::nullopt;
}
std::optional<double> GgufFile::opt_float(std::string_view key) const {
    return has(key) ? std::optional(get_float(key)) : std::nullopt;
}
std::optional<bool> GgufFile::opt_bool(std::string_view key) const {
    return has(key) ? std::optional(get_bool(key)) : std::nullopt;
}

std::span<const std::string_view> GgufFile::get_string_array(std::string_view key) const {
    const GgufValue& v = require(key);
    if (v.type != GgufValueType::ARRAY || v.elem_type != GgufValueType::STRING) {
        fail("metadata '" + std::string(key) + "' should be an array of strings");
    }
    return v.strings;
}

std::vector<float> GgufFile::get_float_array(std::string_view key) const {
    const GgufValue& v = require(key);
    if (v.type != GgufValueType::ARRAY || v.elems == nullptr)
        fail("metadata '" + std::string(key) + "' should be a numeric array");
    std::vector<float> out(v.count);
    const uint64_t sz = gguf_scalar_size(v.elem_type);
    for (uint64_t e = 0; e < v.count; ++e) {
        uint64_t u = 0;
        int64_t i = 0;
        double f = 0;
        decode_scalar(v.elem_type, v.elems + e * sz, u, i, f);
        out[e] = static_cast<float>(f);
    }
    return out;
}

std::vector<int64_t> GgufFile::get_int_array(std::string_view key) const {
    const GgufValue& v = require(key);
    if (v.type != GgufValueType::ARRAY || v.elems == nullptr || !is_integer(v.elem_type)) {
        fail("metadata '" + std::string(key) + "' should be an integer array");
    }
    std::vector<int64_t> out(v.count);
    const uint64_t sz = gguf_scalar_size(v.elem_type);
    for (uint64_t e = 0; e < v.count; ++e) {
        uint64_t u = 0;
        double f = 0;
        decode_scalar(v.elem_type, v.elems + e * sz, u, out[e], f);
    }
    return out;
}

std::string GgufFile::tensor_type_summary() const {
    std::map<std::string, int> counts;
    for (const auto& t : tensors_) counts[std::string(type_traits(static_cast<uint32_t>(t.type))->name)]++;
    std::string s;
    for (const auto& [name, n] : counts) s += (s.empty() ? "" : ", ") + name + " x " + std::to_string(n);
    return s;
}

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
    auto it = tensor_index_.find(std::string(name));
    return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

std::string GgufFile::value_to_string(const GgufValue& v) const {
    switch (v.type) {
    case GgufValueType::STRING: {
        std::string s(v.str.substr(0, 80));
        if (v.str.size() > 80) s.replace(77, 3, "...");
        return s;
    }
    case GgufValueType::ARRAY: {
        std::string s(1, '[');  // built by appending: GCC 12 warns falsely on literal + string
        s.append(gguf_type_name(v.elem_type)).append(" x ").append(std::to_string(v.count)).append("]");
        return s;
    }
    case GgufValueType::BOOL: return v.u ? "true" : "false";
    case GgufValueType::FLOAT32:
    case GgufValueType::FLOAT64: return std::to_string(v.f);
    default: return is_signed(v.type) ? std::to_string(v.i) : std::to_string(v.u);
    }
}

}  // namespace q8
