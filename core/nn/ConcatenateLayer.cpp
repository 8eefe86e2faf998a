#include "nn/ConcatenateLayer.h"

#include <algorithm>

namespace circnn::nn {

namespace {
// Batch-first view of a concatenation: `outer` slices (product of dims before the axis, batch
// included), each input contributing a contiguous run of `inner_i` values per slice.
std::int64_t outerCount(const Tensor& t, std::int64_t axis)
{
    std::int64_t n = 1;
    for (std::int64_t d = 0; d < axis; ++d)
        n *= t.dim(d);
    return n;
}
} // namespace

void ConcatenateLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    const std::int64_t rank = static_cast<std::int64_t>(inputShapes.at(0).size());
    // Keras' axis counts the batch; shape inference validated the range.
    m_axis = m_spec->axis < 0 ? rank + 1 + m_spec->axis : m_spec->axis;
}

void ConcatenateLayer::forward(Inputs inputs, Tensor& out) const
{
    out.resize(withBatch(inputs[0]->dim(0), m_spec->outputShape));
    const std::int64_t outer = outerCount(*inputs[0], m_axis);
    const std::int64_t outInner = out.size() / std::max<std::int64_t>(outer, 1);
    std::int64_t offset = 0;
    for (const Tensor* x : inputs) {
        const std::int64_t inner = x->size() / std::max<std::int64_t>(outer, 1);
        for (std::int64_t o = 0; o < outer; ++o)
            std::copy_n(x->data() + o * inner, inner, out.data() + o * outInner + offset);
        offset += inner;
    }
}

void ConcatenateLayer::backward(Inputs inputs, const Tensor&, const Tensor& outGrad, const LayerCache&,
                                std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    const std::int64_t outer = outerCount(*inputs[0], m_axis);
    const std::int64_t outInner = outGrad.size() / std::max<std::int64_t>(outer, 1);
    std::int64_t offset = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const std::int64_t inner = inputs[i]->size() / std::max<std::int64_t>(outer, 1);
        if (inGrads[i]) {
            inGrads[i]->resize(inputs[i]->shape());
            for (std::int64_t o = 0; o < outer; ++o)
                std::copy_n(outGrad.data() + o * outInner + offset, inner, inGrads[i]->data() + o * inner);
        }
        offset += inner;
    }
}

} // namespace circnn::nn
