#pragma once
// Writing what a window shows to a file: bytes, or a widget drawn as PNG or SVG. Every write goes
// through QSaveFile, so a failed export (a full disk, a folder without write permission) leaves
// any earlier file of that name whole, and the error names the path and the reason.
#include <QByteArray>
#include <QString>

class QWidget;

namespace q8ui {

// A CSV field, quoted when it holds a comma, a quote or a line break.
QString csvField(const QString& s);

bool saveBytes(const QString& path, const QByteArray& bytes, QString* error);
bool saveWidgetPng(QWidget& widget, const QString& path, QString* error);
// Vector output: the widget paints itself into an SVG generator, so the charts' lines and text
// stay sharp at any size.
bool saveWidgetSvg(QWidget& widget, const QString& path, const QString& title, QString* error);

}  // namespace q8ui
