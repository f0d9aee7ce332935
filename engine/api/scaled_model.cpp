// The public face of embed_model: shapes by name.
#include <q8/scaled_model.h>

#include <q8/error.h>

#include "embed_model.h"
#include "model_shapes.h"

namespace q8 {

namespace {

const ModelShape& shape_named(const std::string& name) {
    const ModelShape* s = find_model_shape(name);
    if (s == nullptr) throw EngineError("unknown shape '" + name + "' (known: " + model_shape_names() + ")");
    return *s;
}

}  // namespace

bool write_scaled_model(const std::string& small_path, const std::string& output_path, const ScaleOptions& options) {
    EmbedOptions o;
    o.seed = options.seed;
    o.progress = options.progress;
    return embed_model(small_path, shape_named(options.shape), output_path, o);
}

uint64_t scaled_model_bytes(const std::string& small_path, const std::string& shape) {
    return embedded_model_bytes(small_path, shape_named(shape));
}

}  // namespace q8
