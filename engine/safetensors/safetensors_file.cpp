#include "safetensors_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

#include <q8/error.h>

namespace q8 {

namespace {

using json = nlohmann::json;

// Element types model checkpoints use for weights; integer and 8-bit float tensors are refused
// by name so the message says what the file holds.
bool dtype_type(const std::string& dtype, GgmlType& type, uint64_t& size) {
    if (dtype == "F32") {
        type = GgmlType::F32;
        size = 4;
    } else if (dtype == "F16") {
        type = GgmlType::F16;
        size = 2;
    } else if (dtype == "BF16") {
        type = GgmlType::BF16;
        size = 2;
    } else {
        return false;
    }
    return true;
}

uint64_t json_u64(const json& v, const std::string& field, const std::string& where) {
    if (!v.is_number_unsigned()) {
        // A negative number parses as a signed integer, a fraction as a float: both are refused.
        throw EngineError(where + ": " + field + " must be a non-negative integer");
    }
    return v.get<uint64_t>();
}

}  // namespace

SafetensorsFile::SafetensorsFile(const std::string& path) : map_(path) {
    const auto bytes = map_.bytes();
    auto fail = [&](const std::string& what) -> void { throw EngineError(path + ": " + what); };
    if (bytes.size() < 8) fail("truncated: a safetensors file starts with an 8-byte header length");
    std::memcpy(&header_len_, bytes.data(), 8);  // little-endian, as on every supported CPU
    if (header_len_ > kMaxSafetensorsHeader) {
        fail("header length " + std::to_string(header_len_) + " exceeds the format's limit of " +
             std::to_string(kMaxSafetensorsHeader) + " bytes");
    }
    if (header_len_ > bytes.size() - 8) {
        fail("truncated: the header needs " + std::to_string(header_len_) + " bytes but the file has " +
             std::to_string(bytes.size() - 8) + " after the length");
    }
    const json doc = json::parse(header(), nullptr, false);
    if (doc.is_discarded()) fail("the header is not valid JSON");
    if (!doc.is_object()) fail("the header is not a JSON object");

    const uint8_t* data = bytes.data() + 8 + header_len_;
    const uint64_t data_size = bytes.size() - 8 - header_len_;
    tensors_.reserve(doc.size());
    for (const auto& [name, entry] : doc.items()) {
        if (name == "__metadata__") continue;
        const std::string where = path + ": tensor '" + name + "'";
        if (!entry.is_object()) throw EngineError(where + " is not a JSON object");
        const auto dtype = entry.find("dtype");
        const auto shape = entry.find("shape");
        const auto offsets = entry.find("data_offsets");
        if (dtype == entry.end() || !dtype->is_string()) throw EngineError(where + " has no string 'dtype'");
        if (shape == entry.end() || !shape->is_array()) throw EngineError(where + " has no array 'shape'");
        if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2) {
            throw EngineError(where + " has no 'data_offsets' pair");
        }
        SafetensorsTensor t;
        t.name = name;
        uint64_t elem_size = 0;
        if (!dtype_type(dtype->get<std::string>(), t.type, elem_size)) {
            throw EngineError(where + " has dtype " + dtype->get<std::string>() + "; weights must be F32, F16 or BF16");
        }
        if (shape->size() > 8) throw EngineError(where + " has " + std::to_string(shape->size()) + " dimensions");
        t.n_elements = 1;
        for (const json& d : *shape) {
            const uint64_t n = json_u64(d, "'shape' entry", where);
            t.shape.push_back(n);
            if (__builtin_mul_overflow(t.n_elements, n, &t.n_elements) || t.n_elements > (uint64_t{1} << 48)) {
                throw EngineError(where + " has absurd dimensions (element count overflows)");
            }
        }
        const uint64_t begin = json_u64((*offsets)[0], "'data_offsets'[0]", where);
        const uint64_t end = json_u64((*offsets)[1], "'data_offsets'[1]", where);
        if (begin > end || end > data_size) {
            throw EngineError(where + " data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                              ") lie outside the data section (" + std::to_string(data_size) + " bytes)");
        }
        t.n_bytes = t.n_elements * elem_size;
        if (end - begin != t.n_bytes) {
            throw EngineError(where + " data_offsets span " + std::to_string(end - begin) +
                              " bytes but its shape and " + dtype->get<std::string>() + " need " +
                              std::to_string(t.n_bytes));
        }
        t.data = data + begin;
        index_.emplace(t.name, tensors_.size());
        tensors_.push_back(std::move(t));
    }
    // Tensors sharing bytes would alias each other's weights: refused, as the format requires.
    std::vector<const SafetensorsTensor*> by_offset;
    for (const auto& t : tensors_) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->data < b->data; });
    for (size_t i = 1; i < by_offset.size(); ++i) {
        const SafetensorsTensor& a = *by_offset[i - 1];
        const SafetensorsTensor& b = *by_offset[i];
        if (a.data + a.n_bytes > b.data) fail("tensors '" + a.name + "' and '" + b.name + "' overlap");
    }
}

const SafetensorsTensor* SafetensorsFile::find(std::string_view name) const {
    const auto it = index_.find(std::string(name));
    return it == index_.end() ? nullptr : &tensors_[it->second];
}

std::string_view SafetensorsFile::header() const {
    return {reinterpret_cast<const char*>(map_.bytes().data()) + 8, static_cast<size_t>(header_len_)};
}

}  // namespace q8
