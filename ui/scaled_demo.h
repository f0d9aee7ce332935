#pragma once
// The "scaled demo": the built-in demo target embedded, unchanged in what it writes, in the shape
// of a real-sized model (q8/scaled_model.h), built once into the cache folder on the user's say.
// It lets the window show what 4-bit weights and speculative decoding buy on a model whose weights
// stream from DRAM, with the built-in draft and text that makes sense.
#include <QString>

namespace q8ui {

// The shape it is built at: QSettings "scaledDemo/shape", by default TinyLlama-1.1B's.
QString scaledDemoShape();
// Where it is kept: the cache folder, named after its shape.
QString scaledDemoPath(const QString& shape);
// What the user is told before it is built: what it is, what it is not, its size and the room left.
QString scaledDemoQuestion(const QString& shape, qint64 bytes, const QString& folder, qint64 freeBytes);

}  // namespace q8ui
