#include "point_buffer.h"

namespace q8ui {

PointBuffer::PointBuffer(int capacity) : capacity_(qMax(2, capacity + (capacity & 1))) { points_.reserve(capacity_); }

void PointBuffer::add(QPointF p) {
    const qint64 n = offered_++;
    if (n % stride_ != 0) return;
    points_.append(p);
    if (points_.size() < capacity_) return;
    // Point j holds offer j * stride_; the even positions are the offers that are multiples of
    // 2 * stride_, exactly the ones the doubled stride would have kept.
    qsizetype kept = 0;
    for (qsizetype j = 0; j < points_.size(); j += 2) points_[kept++] = points_[j];
    points_.resize(kept);
    stride_ *= 2;
}

void PointBuffer::clear() {
    points_.clear();
    stride_ = 1;
    offered_ = 0;
}

}  // namespace q8ui
