#include "chat_types.h"

namespace q8ui {

namespace {
const QString kConfigurations[] = {"FP16", "Q8", "Q4", "Q4+spec"};
const QString kRoles[] = {"system", "user", "assistant"};
}  // namespace

QString configurationName(Configuration c) { return kConfigurations[static_cast<int>(c)]; }

bool parseConfiguration(const QString& name, Configuration* out) {
    for (int i = 0; i < 4; ++i) {
        if (kConfigurations[i] == name) {
            *out = static_cast<Configuration>(i);
            return true;
        }
    }
    return false;
}

QString roleName(Role r) { return kRoles[static_cast<int>(r)]; }

bool parseRole(const QString& name, Role* out) {
    for (int i = 0; i < 3; ++i) {
        if (kRoles[i] == name) {
            *out = static_cast<Role>(i);
            return true;
        }
    }
    return false;
}

}  // namespace q8ui
