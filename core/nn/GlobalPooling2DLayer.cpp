#include "nn/GlobalPooling2DLayer.h"

#include "common/Error.h"

namespace circnn::nn {

std::vector<float> GlobalPooling2DLayer::averageWeights(Inputs inputs, std::int64_t batch, std::int64_t positions) const
{
    std::vector<float> w(static_cast<std::size_t>(batch * positions), 1.0f / static_cast<float>(positions));
    if (inputs.size() < 2)
        return w;
    const Tensor& ids = *inputs[1];
    if (ids.size() != batch * positions)
        throw Error(where() + "mask source has " + std::to_string(ids.size()) + " values, expected " +
                    std::to_string(batch * positions));
    for (std::int64_t n = 0; n < batch; ++n) {
        std::int64_t count = 0;
        for (std::int64_t p = 0; p < positions; ++p)
            count += ids[n * positions + p] != 0.0f ? 1 : 0;
        for (std::int64_t p = 0; p < positions; ++p)
            w[static_cast<std::size_t>(n * positions + p)] =
                ids[n * positions + p] != 0.0f ? 1.0f / static_cast<float>(count) : 0.0f;
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
    std::vector<double> acc(static_cast<std::size_t>(c));
    const std::vector<float> weights = isMax ? std::vector<float>{} : averageWeights(inputs, b, hw);
    for (std::int64_t n = 0; n < b; ++n) {
        const float* xs = x.data() + n * hw * c;
        float* o = out.data() + n * c;
        if (isMax) {
            for (std::int64_t ch = 0; ch < c; ++ch)
                o[ch] = xs[ch];
            for (std::int64_t p = 1; p < hw; ++p)
                for (std::int64_t ch = 0; ch < c; ++ch)
                    o[ch] = std::max(o[ch], xs[p * c + ch]);
        } else {
            std::fill(acc.begin(), acc.end(), 0.0);
            for (std::int64_t p = 0; p < hw; ++p) {
                const double wp = weights[static_cast<std::size_t>(n * hw + p)];
                for (std::int64_t ch = 0; ch < c; ++ch)
                    acc[static_cast<std::size_t>(ch)] += wp * xs[p * c + ch];
            }
            for (std::int64_t ch = 0; ch < c; ++ch)
                o[ch] = static_cast<float>(acc[static_cast<std::size_t>(ch)]);
        }
    }
}

void GlobalPooling2DLayer::backward(Inputs inputs, const Tensor& output, const Tensor& g, const LayerCache&,
                                    std::span<Tensor* const> inGrads, std::span<Tensor>) const
{
    if (inGrads.size() > 1 && inGrads[1]) // the token ids of a mask get no gradient
        *inGrads[1] = Tensor(inputs[1]->shape(), 0.0f);
    if (!inGrads[0])
        return;
    const Tensor& x = *inputs[0];
    // 1-D and 2-D alike: every position of each sample, per channel (the last axis).
    const std::int64_t b = x.dim(0), c = x.dim(x.rank() - 1), hw = x.size() / std::max<std::int64_t>(1, b * c);
    const bool isMax = m_spec->kind == LayerKind::GlobalMaxPooling2D || m_spec->kind == LayerKind::GlobalMaxPooling1D;
    Tensor& gx = *inGrads[0];
    gx.resize(x.shape());
    gx.fill(0.0f);
    const std::vector<float> weights = isMax ? std::vector<float>{} : averageWeights(inputs, b, hw);
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
            } else {
                for (std::int64_t p = 0; p < hw; ++p)
                    gs[p * c + ch] = gy[ch] * weights[static_cast<std::size_t>(n * hw + p)];
            }
        }
    }
}

} // namespace circnn::nn
