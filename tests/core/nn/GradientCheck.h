#pragma once
// Model::backward against central finite differences of a double-precision loss
// L = Σ r ∘ forwardTrain(x) (fixed random r): for every parameter tensor, 12 random entries.
// A net built as Input → pre layer with weights → [layers under test] → post layer checks the
// input gradients the tested layers propagate through the pre layer's weight gradient.
// On a mismatch the helper fails the running test (QFAIL); callers return when
// QTest::currentTestFailed().

#include <QTest>

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "NnTestUtil.h"
#include "TestSupport.h"
#include "nn/Model.h"

namespace circnn::test {

inline double linearLoss(const Model& m, const Tensor& x, const Tensor& r, bool logits)
{
    ForwardCache cache;
    std::mt19937 rng(7);
    const Tensor y = m.forwardTrain(x, cache, rng, logits);
    double l = 0;
    for (std::int64_t i = 0; i < y.size(); ++i)
        l += double(r[i]) * y[i];
    return l;
}

// A net to check gradients through and its input shape (without batch).
struct GradientCase {
    ModelSpec spec;
    Shape input;
};

// Spatial nets: Input(h, w, c) → Conv2D 1x1 tanh (pre) → middle → Flatten → Dense 3 (post).
inline GradientCase spatialGradientNet(std::int64_t h, std::int64_t w, std::int64_t c,
                                       const std::function<void(SpecBuilder&)>& middle)
{
    SpecBuilder b({h, w, c});
    b.conv(c, c, 1, 1, ActivationKind::Tanh).name = "pre";
    middle(b);
    b.simple(LayerKind::Flatten);
    ModelSpec tmp = b.spec;
    tmp.outputs = {tmp.layers.back().name};
    const std::int64_t n = Model(tmp).outputShape()[0];
    b.dense(n, 3, ActivationKind::Linear).name = "post";
    return {b.done(), {h, w, c}};
}

// The check on a given input batch `x` (e.g. token ids, which must stay integers). Entries whose
// analytic and numeric values differ by at most `absolute` count as equal: a gradient that is zero
// in exact arithmetic (an attention key bias shifts every score of a softmax row alike) leaves
// float round-off in the finite differences.
inline void checkGradients(const ModelSpec& spec, const Tensor& x, bool logits, double tol, double absolute = 0)
{
    Model model(spec);
    ForwardCache cache;
    std::mt19937 rng(7);
    const Tensor y = model.forwardTrain(x, cache, rng, logits);
    const Tensor r = randomTensor(y.shape(), 18);
    std::vector<Tensor> grads;
    model.backward(cache, r, grads);
    std::vector<ParameterRef> params = model.parameters();
    QCOMPARE(grads.size(), params.size());
    QVERIFY(!params.empty());
    const double h = 2e-3;
    std::mt19937 pick(19);
    for (std::size_t p = 0; p < params.size(); ++p) {
        QCOMPARE(static_cast<std::size_t>(grads[p].size()), params[p].values.size());
        const std::size_t n = params[p].values.size();
        std::vector<std::size_t> idx;
        for (std::size_t i = 0; i < n; ++i)
            idx.push_back(i);
        std::shuffle(idx.begin(), idx.end(), pick);
        idx.resize(std::min<std::size_t>(idx.size(), 12));
        std::vector<float> numeric, analytic;
        for (std::size_t i : idx) {
            float& v = params[p].values[i];
            const float saved = v;
            v = saved + float(h);
            model.parametersChanged();
            const double lp = linearLoss(model, x, r, logits);
            v = saved - float(h);
            model.parametersChanged();
            const double lm = linearLoss(model, x, r, logits);
            v = saved;
            model.parametersChanged();
            numeric.push_back(static_cast<float>((lp - lm) / (2 * h)));
            analytic.push_back(grads[p][static_cast<std::int64_t>(i)]);
            if (std::abs(double(analytic.back()) - numeric.back()) <= absolute)
                analytic.back() = numeric.back();
        }
        const std::string context = params[p].layer + "/" + params[p].role;
        CIRCNN_COMPARE_VECTORS(analytic.data(), numeric.data(), numeric.size(), tol, context);
    }
}

// `input` excludes the batch (a batch of 3 is used); `logits` asks for the final softmax skipped.
inline void checkGradients(const ModelSpec& spec, const Shape& input, bool logits = false, double tol = 2e-2,
                           double absolute = 0)
{
    Shape xs = input;
    xs.insert(xs.begin(), 3);
    checkGradients(spec, randomTensor(xs, 17), logits, tol, absolute);
}

} // namespace circnn::test
