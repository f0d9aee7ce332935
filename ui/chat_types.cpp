#include "chat_types.h"

namespace q8ui {

namespace {

const QString kConfigurations[] = {"FP16", "Q8", "Q4", "Q4+spec"};
const QString kRoles[] = {"system", "user", "assistant"};

// The enum value whose name is `name`, the names listed in the enum's order.
template <typename Enum, size_t N>
bool parseName(const QString (&names)[N], const QString& name, Enum* out) {
    for (size_t i = 0; i < N; ++i) {
        if (names[i] == name) {
            *out = static_cast<Enum>(i);
            return true;
        }
    }
    return false;
}

}  // namespace

QString configurationName(Configuration c) { return kConfigurations[static_cast<int>(c)]; }
bool parseConfiguration(const QString& name, Configuration* out) { return parseName(kConfigurations, name, out); }

void appendSpan(QVector<TextSpan>& spans, int start, int length) {
    if (length <= 0) return;
    if (!spans.isEmpty() && spans.last().start + spans.last().length == start) {
        spans.last().length += length;
        return;
    }
    spans.append(TextSpan{start, length});
}

QString roleName(Role r) { return kRoles[static_cast<int>(r)]; }
bool parseRole(const QString& name, Role* out) { return parseName(kRoles, name, out); }

}  // namespace q8ui
