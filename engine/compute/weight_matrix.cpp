#include "weight_matrix.h"

namespace q8 {

namespace {
std::string act_suffix(const WeightMatrix& w) {
    if (!w.int8_activations) return "";
    return w.act_blocks ? "/A8b" : w.act_scale > 0 ? "/A8s" : "/A8";
}
}  // namespace

std::string WeightMatrix::format_name() const {
    switch (layout) {
    case WeightLayout::Ggml:
    case WeightLayout::Q8Tiles:  // a Q8_0 tensor, repacked
        return std::string(type_traits(static_cast<uint32_t>(type))->name) + act_suffix(*this);
    case WeightLayout::Q4Split:
    case WeightLayout::Q4Tiles:
        if (type == GgmlType::Q4_0) return "Q4_0";  // a Q4_0 tensor, repacked
        [[fallthrough]];
    case WeightLayout::Q4Group: return "Q4G" + std::to_string(group) + act_suffix(*this);
    case WeightLayout::Q4GroupAsym:
    case WeightLayout::Q4SplitAsym: return "Q4GA" + std::to_string(group) + act_suffix(*this);
    case WeightLayout::I8Row: return int8_activations ? act_scale > 0 ? "I8row/A8s" : "I8row/A8" : "I8row";
    }
    return "?";
}

}  // namespace q8
