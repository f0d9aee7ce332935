#include "file_export.h"

#include <QBuffer>
#include <QObject>
#include <QPainter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QWidget>

namespace q8ui {

namespace {

QString writeError(const QString& path, const QString& reason) {
    return QObject::tr("Could not write %1: %2").arg(path, reason);
}

}  // namespace

QString csvField(const QString& s) {
    if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n'))) return s;
    return QLatin1Char('"') + QString(s).replace(QLatin1String("\""), QLatin1String("\"\"")) + QLatin1Char('"');
}

bool saveBytes(const QString& path, const QByteArray& bytes, QString* error) {
    QSaveFile file(path);
    if (file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size() && file.commit()) return true;
    if (error) *error = writeError(path, file.errorString());
    return false;
}

bool saveWidgetPng(QWidget& widget, const QString& path, QString* error) {
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    if (!widget.grab().save(&buffer, "PNG")) {
        if (error) *error = writeError(path, QObject::tr("the image could not be encoded"));
        return false;
    }
    return saveBytes(path, png, error);
}

bool saveWidgetSvg(QWidget& widget, const QString& path, const QString& title, QString* error) {
    QByteArray svg;
    QBuffer buffer(&svg);
    QSvgGenerator generator;
    generator.setOutputDevice(&buffer);
    generator.setSize(widget.size());
    generator.setViewBox(widget.rect());
    generator.setTitle(title);
    {
        QPainter painter(&generator);
        widget.render(&painter);
    }
    return saveBytes(path, svg, error);
}

}  // namespace q8ui
