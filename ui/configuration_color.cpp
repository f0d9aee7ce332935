#include "configuration_color.h"

namespace q8ui {

QColor configurationColor(Configuration c) {
    switch (c) {
    case Configuration::Fp16: return QColor(0x4c, 0x6a, 0x92);
    case Configuration::Q8: return QColor(0x2e, 0x8b, 0x57);
    case Configuration::Q4: return QColor(0xe0, 0x8a, 0x1e);
    case Configuration::Q4Spec: return QColor(0x9b, 0x3d, 0xb8);
    }
    return Qt::gray;
}

}  // namespace q8ui
