#include "common/Tensor.h"

#include <algorithm>
#include <limits>

#include "common/Error.h"

namespace circnn {

std::int64_t shapeSize(const Shape& shape)
{
    std::int64_t n = 1;
    for (std::int64_t d : shape) {
        if (d < 0)
            throw ShapeError("negative dimension in shape " + shapeToString(shape));
        if (d != 0 && n > std::numeric_limits<std::int64_t>::max() / d)
            throw ShapeError("shape " + shapeToString(shape) + " is too large");
        n *= d;
    }
    return n;
}

std::string shapeToString(const Shape& shape)
{
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i)
            s += ", ";
        s += shape[i] < 0 ? std::string("None") : std::to_string(shape[i]);
    }
    if (shape.size() == 1)
        s += ",";
    return s + ")";
}

Tensor::Tensor(Shape shape, float fill)
    : m_shape(std::move(shape)), m_data(static_cast<std::size_t>(shapeSize(m_shape)), fill)
{
}

Tensor::Tensor(Shape shape, std::initializer_list<float> values) : m_shape(std::move(shape)), m_data(values)
{
    if (shapeSize(m_shape) != static_cast<std::int64_t>(m_data.size()))
        throw ShapeError("tensor of shape " + shapeToString(m_shape) + " given " +
                         std::to_string(m_data.size()) + " values");
}

void Tensor::reshape(Shape shape)
{
    if (shapeSize(shape) != size())
        throw ShapeError("cannot reshape " + shapeToString(m_shape) + " to " + shapeToString(shape));
    m_shape = std::move(shape);
}

void Tensor::resize(Shape shape)
{
    m_data.resize(static_cast<std::size_t>(shapeSize(shape)));
    m_shape = std::move(shape);
}

void Tensor::fill(float value) { std::fill(m_data.begin(), m_data.end(), value); }

} // namespace circnn
