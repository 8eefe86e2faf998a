#pragma once
// Tensor: a dense, row-major (C order) float32 array with a shape. Value semantics (copyable,
// movable). Used for weights, activations (batch first, NHWC for images) and datasets.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "common/AlignedAllocator.h"

namespace circnn {

using Shape = std::vector<std::int64_t>;

// Number of elements of a shape; throws ShapeError on negative dimensions or overflow.
std::int64_t shapeSize(const Shape& shape);
// "(2, 3, 4)" — used in error messages and tables.
std::string shapeToString(const Shape& shape);

class Tensor {
public:
    Tensor() = default;
    explicit Tensor(Shape shape, float fill = 0.0f);
    Tensor(Shape shape, std::initializer_list<float> values);

    const Shape& shape() const { return m_shape; }
    std::int64_t rank() const { return static_cast<std::int64_t>(m_shape.size()); }
    std::int64_t dim(std::int64_t i) const { return m_shape.at(static_cast<std::size_t>(i)); }
    std::int64_t size() const { return static_cast<std::int64_t>(m_data.size()); }
    bool empty() const { return m_data.empty(); }

    float* data() { return m_data.data(); }
    const float* data() const { return m_data.data(); }
    float& operator[](std::int64_t i) { return m_data[static_cast<std::size_t>(i)]; }
    float operator[](std::int64_t i) const { return m_data[static_cast<std::size_t>(i)]; }

    // Same data, new shape with the same element count (throws ShapeError otherwise).
    void reshape(Shape shape);
    // Resizes to `shape`; contents are unspecified unless `fill` is given.
    void resize(Shape shape);
    void fill(float value);

    bool operator==(const Tensor& other) const = default;

private:
    Shape m_shape;
    AlignedVector<float> m_data;
};

} // namespace circnn
