#include "forward_profile.h"

#include <numeric>

namespace q8 {

std::string_view forward_op_name(ForwardOp op) {
    switch (op) {
    case ForwardOp::Embedding: return "embedding";
    case ForwardOp::Norms: return "norms";
    case ForwardOp::QkvProducts: return "qkv products";
    case ForwardOp::RopeAndCache: return "rope + kv cache";
    case ForwardOp::Attention: return "attention";
    case ForwardOp::AttnOutProduct: return "attention output product";
    case ForwardOp::FfnUpGateProducts: return "ffn gate + up products";
    case ForwardOp::FfnActivation: return "ffn activation";
    case ForwardOp::FfnDownProduct: return "ffn down product";
    case ForwardOp::Residuals: return "residuals";
    case ForwardOp::Head: return "output norm + head";
    }
    return "?";
}

double ForwardProfile::total_seconds() const { return std::accumulate(seconds.begin(), seconds.end(), 0.0); }

}  // namespace q8
