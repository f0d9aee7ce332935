#pragma once
// A bounded series of points that still spans everything it was offered: when full it keeps every
// other point and from then on takes every other offer, so the kept points stay evenly spaced over
// the whole run (dropping only the oldest would lose the start; dropping at random, the shape).
#include <QList>
#include <QPointF>

namespace q8ui {

class PointBuffer {
public:
    static constexpr int kDefaultCapacity = 600;

    // `capacity` is rounded up to an even number so halving keeps the spacing exact.
    explicit PointBuffer(int capacity = kDefaultCapacity);

    void add(QPointF p);  // amortized O(1)
    void clear();

    const QList<QPointF>& points() const { return points_; }
    int capacity() const { return capacity_; }
    // Offers per kept point: 1, then doubling each time the buffer fills.
    qint64 stride() const { return stride_; }

private:
    int capacity_;
    qint64 stride_ = 1;
    qint64 offered_ = 0;  // offers since clear(); offer n is kept when n is a multiple of stride_
    QList<QPointF> points_;
};

}  // namespace q8ui
