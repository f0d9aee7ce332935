// CPU and process facts for the app's status bar and figures.
#include <q8/system.h>

#include "cpu_features.h"
#include "thread_pool.h"

namespace q8 {

CpuInfo cpu_info() {
    return CpuInfo{kernel_path_description(), amx_description(), cpu_feature_summary(), default_thread_count()};
}

void force_kernel_path(std::string_view name) { set_isa_override(parse_isa(name)); }

}  // namespace q8
