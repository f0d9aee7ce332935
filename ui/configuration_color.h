#pragma once
// One colour per configuration, the same wherever a configuration is drawn (charts, kiosk).
#include <QColor>

#include "chat_types.h"

namespace q8ui {

QColor configurationColor(Configuration c);

}  // namespace q8ui
