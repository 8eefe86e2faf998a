#include "nn/GlobalPooling2DLayer.h"

#include <algorithm>

#include "common/Error.h"
#include "nn/SequenceMask.h"

namespace circnn::nn {

void GlobalPooling2DLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    m_hasMask = inputShapes.size() > 1;
    if (m_hasMask) {
        if (m_spec->kind != LayerKind::GlobalAveragePooling1D || inputShapes[0].size() != 2)
            throw Error(where() + "only GlobalAveragePooling1D over (steps, features) takes a sequence mask");
        checkMaskSourceShape(inputShapes[1], inputShapes[0][0], m_frameMaskValue, where());
    }
}

std::vector<float> GlobalPooling2DLayer::maskedWeights(Inputs inputs, std::int64_t batch, std::int64_t positions) const
{
    if (!m_hasMask)
        return {};
    const std::vector<unsigned char> mask = stepMask(*inputs[1], batch, positions, m_frameMaskValue, where());
    std::vector<float> w(mask.size(), 0.0f);
    for (std::int64_t n = 0; n < batch; ++n) {
        const auto first = mask.begin() + n * positions;
        const auto count = std::count(first, first + positions, static_cast<unsigned char>(1));
        for (std::int64_t p = 0; p < positions; ++p)
            if (first[p])
                w[static_cast<std::size_t>(n * positions + p)] = 1.0f / static_cast<float>(count);
    }
    return w;
}

void GlobalPooling2DLayer::forward(Inputs inputs, Tensor& out) const
{
    const Tensor& x = *inputs[0];
    // 1-D and 2-D alike: every position of each sample, per channel (the last axis).
    const std::int64_t b = x.dim(0), c = x.dim(x.rank() - 1), hw = x.size() / std::max<std::int64_t>(1, b * c);
    const bool isMax = m_spec->kind == LayerKind::GlobalMaxPooling2D || m_spec->kind == LayerKind::GlobalMaxPooling1D;
    out.resize({b, c});
    const std::vector<float> weights = maskedWeights(inputs, b, hw);
    std::vector<double> acc(static_cast<std::size_t>(c));
    for (std::int64_t n = 0; n < b; ++n) {
        const float* xs = x.data() + n * hw * c;
        float* o = out.data() + n * c;
        if (isMax) {
            for (std::int64_t ch = 0; ch < c; ++ch)
                o[ch] = xs[ch];
            for (std::int64_t p = 1; p < hw; ++p)
                for (std::int64_t ch = 0; ch < c; ++ch)
                    o[ch] = std::max(o[ch], xs[p * c + ch]);
        } else if (!weights.empty()) { // masked average: the unmasked steps' sum over their count
            std::fill(acc.begin(), acc.end(), 0.0);
            for (std::int64_t p = 0; p < hw; ++p)
                if (const float w = weights[static_cast<std::size_t>(n * hw + p)]; w != 0.0f)
                    for (std::int64_t ch = 0; ch < c; ++ch)
                        acc[static_cast<std::size_t>(ch)] += static_cast<double>(w) * xs[p * c + ch];
            for (std::int64_t ch = 0; ch < c; ++ch)
                o[ch] = static_cast<float>(acc[static_cast<std::size_t>(ch)]);
        } else {
            std::fill(acc.begin(), acc.end(), 0.0);
            for (std::int64_t p = 0; p < hw; ++p)
                for (std::int64_t ch = 0; ch < c; ++ch)
                    acc[static_cast<std::size_t>(ch)] += xs[p * c + ch];
            for (std::int64_t ch = 0; ch < c; ++ch)
                o[ch] = static_cast<float>(acc[static_cast<std::size_t>(ch)] / static_cast<double>(hw));
        }
    }
}

void GlobalPooling2DLayer::backward(Inputs inputs, const Tensor& output, const Tensor& g, const LayerCache&,
                                    std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    if (inGrads.size() > 1 && inGrads[1]) // the mask source: the mask is piecewise constant, no gradient
        *inGrads[1] = Tensor(inputs[1]->shape(), 0.0f);
    if (!inGrads[0])
        return;
    const Tensor& x = *inputs[0];
    // 1-D and 2-D alike: every position of each sample, per channel (the last axis).
    const std::int64_t b = x.dim(0), c = x.dim(x.rank() - 1), hw = x.size() / std::max<std::int64_t>(1, b * c);
    const bool isMax = m_spec->kind == LayerKind::GlobalMaxPooling2D || m_spec->kind == LayerKind::GlobalMaxPooling1D;
    const std::vector<float> weights = maskedWeights(inputs, b, hw);
    Tensor& gx = *inGrads[0];
    gx.resize(x.shape());
    gx.fill(0.0f);
    for (std::int64_t n = 0; n < b; ++n) {
        const float* xs = x.data() + n * hw * c;
        float* gs = gx.data() + n * hw * c;
        const float* gy = g.data() + n * c;
        for (std::int64_t ch = 0; ch < c; ++ch) {
            if (isMax) {
                std::int64_t best = 0;
                for (std::int64_t p = 1; p < hw; ++p)
                    if (xs[p * c + ch] > xs[best * c + ch])
                        best = p;
                gs[best * c + ch] = gy[ch];
            } else if (!weights.empty()) {
                for (std::int64_t p = 0; p < hw; ++p)
                    gs[p * c + ch] = gy[ch] * weights[static_cast<std::size_t>(n * hw + p)];
            } else {
                const float v = gy[ch] / static_cast<float>(hw);
                for (std::int64_t p = 0; p < hw; ++p)
                    gs[p * c + ch] = v;
            }
        }
    }
}

} // namespace circnn::nn
