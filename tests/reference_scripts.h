#pragma once
// Runs the independent NumPy reference scripts in tests/reference/ with the Python that has NumPy
// (a declared dependency). Each returns an empty string on success, else what went wrong.
#include <QString>
#include <QStringList>

#include "child_process.h"

namespace q8test {

inline QString run_reference_script(const QString& script, const QStringList& args) {
    const ChildResult r =
        run_child(Q8_PYTHON, QStringList{QString(Q8_SOURCE_DIR) + "/tests/reference/" + script} + args, 300000);
    if (!r.finished) return script + ": " + r.problem;
    if (r.exit_code != 0) return QString("%1 %2 failed: %3").arg(Q8_PYTHON, script, QString::fromUtf8(r.err));
    return {};
}

// Writes DIR/model.gguf, DIR/expected.json and DIR/logits.f32 (see make_reference_case.py).
inline QString make_reference_case(const QString& dir, const QStringList& args) {
    return run_reference_script("make_reference_case.py", QStringList{"--out", dir} + args);
}

}  // namespace q8test
