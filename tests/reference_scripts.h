#pragma once
// Runs the independent NumPy reference scripts in tests/reference/ with the Python that has NumPy
// (a declared dependency). Each returns an empty string on success, else what went wrong.
#include <QProcess>
#include <QString>
#include <QStringList>

namespace q8test {

inline QString run_reference_script(const QString& script, const QStringList& args) {
    QProcess p;
    p.start(Q8_PYTHON, QStringList{QString(Q8_SOURCE_DIR) + "/tests/reference/" + script} + args);
    if (!p.waitForFinished(300000)) return script + " did not finish within 5 minutes";
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        return QString("%1 %2 failed: %3").arg(Q8_PYTHON, script, QString::fromUtf8(p.readAllStandardError()));
    }
    return {};
}

// Writes DIR/model.gguf, DIR/expected.json and DIR/logits.f32 (see make_reference_case.py).
inline QString make_reference_case(const QString& dir, const QStringList& args) {
    return run_reference_script("make_reference_case.py", QStringList{"--out", dir} + args);
}

}  // namespace q8test
