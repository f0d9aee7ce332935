#include "scaled_demo.h"

#include <QObject>
#include <QSettings>
#include <QStandardPaths>

namespace q8ui {

namespace {

QString gigabytes(qint64 bytes) { return QString::number(double(bytes) / 1e9, 'f', 1) + " GB"; }

}  // namespace

QString scaledDemoShape() { return QSettings().value("scaledDemo/shape", "tinyllama-1.1b").toString(); }

QString scaledDemoPath(const QString& shape) {
    return QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + "/scaled-demo-" + shape + ".gguf";
}

QString scaledDemoQuestion(const QString& shape, qint64 bytes, const QString& folder, qint64 freeBytes) {
    return QObject::tr(
               "<p>The scaled demo is the built-in demo model embedded in the shape of <b>%1</b>: its weights are "
               "as large as that model's and stream from memory like them, so Q4 and Q4+spec show what they buy "
               "on a real-sized model.</p>"
               "<p>It is <b>not</b> a larger or better model: it writes exactly the built-in model's text, and the "
               "built-in draft serves it.</p>"
               "<p>Building it writes %2 to %3 (%4 free) and takes about a minute. Build it now?</p>")
        .arg(shape, gigabytes(bytes), folder.toHtmlEscaped(), freeBytes > 0 ? gigabytes(freeBytes) : QObject::tr("?"));
}

}  // namespace q8ui
