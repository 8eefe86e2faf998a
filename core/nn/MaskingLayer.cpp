#include "nn/MaskingLayer.h"

#include <algorithm>
#include <vector>

#include "nn/SequenceMask.h"

namespace circnn::nn {

void MaskingLayer::copyUnmasked(const Tensor& x, const Tensor& from, Tensor& to) const
{
    to.resize(x.shape());
    const std::int64_t width = x.rank() > 1 ? x.dim(x.rank() - 1) : 1;
    const std::int64_t groups = width > 0 ? x.size() / width : 0;
    if (groups == 0)
        return;
    // The same rule the mask consumers apply to this layer's input (nn/SequenceMask.h).
    const std::vector<unsigned char> counts = stepMask(x, 1, groups, m_spec->maskValue, where());
    for (std::int64_t s = 0; s < groups; ++s) {
        float* o = to.data() + s * width;
        if (counts[static_cast<std::size_t>(s)])
            std::copy_n(from.data() + s * width, width, o);
        else
            std::fill_n(o, width, 0.0f);
    }
}

void MaskingLayer::forward(Inputs inputs, Tensor& out) const
{
    copyUnmasked(*inputs[0], *inputs[0], out);
}

void MaskingLayer::backward(Inputs inputs, const Tensor&, const Tensor& g, const LayerCache&,
                            std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    if (inGrads[0])
        copyUnmasked(*inputs[0], g, *inGrads[0]);
}

} // namespace circnn::nn
