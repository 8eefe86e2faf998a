// LayerNormalization: forward against a naive double-precision reference (every axis set Keras
// allows beside the batch: the last axis, the step axis, several axes, non-adjacent axes; center /
// scale off; epsilon), Model::backward against central finite differences for the same cases,
// a sequence mask passing through it to a recurrent layer, and errors naming the layer.

#include <QTest>

#include <cmath>
#include <map>

#include "GradientCheck.h"
#include "NnTestUtil.h"
#include "RecurrentReference.h"
#include "TestSupport.h"
#include "common/Error.h"
#include "nn/Model.h"

using namespace circnn;
using circnn::test::randomTensor;
using circnn::test::SpecBuilder;

namespace {

struct Case {
    Shape sample;                   // without batch
    std::vector<std::int64_t> axes; // as Keras writes them (0 = batch)
    bool center = true, scale = true;
    float epsilon = 1e-3f;
};

LayerSpec layerNorm(const Case& c, std::int64_t params, std::uint32_t seed)
{
    LayerSpec l;
    l.kind = LayerKind::LayerNormalization;
    l.name = "ln";
    l.axes = c.axes;
    l.center = c.center;
    l.scale = c.scale;
    l.epsilon = c.epsilon;
    if (c.scale)
        l.gamma = randomTensor({params}, seed, 0.5f, 1.5f);
    if (c.center)
        l.beta = randomTensor({params}, seed + 1, -0.5f, 0.5f);
    return l;
}

// Elements of the normalised axes (what gamma / beta hold).
std::int64_t paramCount(const Case& c)
{
    std::int64_t n = 1;
    const auto rank = static_cast<std::int64_t>(c.sample.size()) + 1;
    for (std::int64_t a : c.axes)
        n *= c.sample[static_cast<std::size_t>((a < 0 ? a + rank : a) - 1)];
    return n;
}

// Naive reference: every element's multi-index; elements whose indices agree outside the
// normalised axes form a group (a std::map keyed by those indices); gamma / beta index row-major
// over the normalised axes in increasing order.
std::vector<double> reference(const LayerSpec& l, const Case& c, const Tensor& x)
{
    const std::size_t r = c.sample.size();
    std::vector<bool> norm(r, false);
    for (std::int64_t a : c.axes)
        norm[static_cast<std::size_t>((a < 0 ? a + std::int64_t(r) + 1 : a) - 1)] = true;
    const std::int64_t per = shapeSize(c.sample);
    const std::int64_t batch = x.size() / per;
    std::vector<double> y(static_cast<std::size_t>(x.size()));
    for (std::int64_t b = 0; b < batch; ++b) {
        std::map<std::vector<std::int64_t>, std::vector<std::int64_t>> groups; // key → flat indices
        std::vector<std::int64_t> param(static_cast<std::size_t>(per));
        for (std::int64_t i = 0; i < per; ++i) {
            std::vector<std::int64_t> idx(r), key;
            std::int64_t rest = i;
            for (std::size_t d = r; d-- > 0;) {
                idx[d] = rest % c.sample[d];
                rest /= c.sample[d];
            }
            std::int64_t p = 0;
            for (std::size_t d = 0; d < r; ++d) {
                if (norm[d])
                    p = p * c.sample[d] + idx[d];
                else
                    key.push_back(idx[d]);
            }
            param[static_cast<std::size_t>(i)] = p;
            groups[key].push_back(i);
        }
        for (const auto& [key, members] : groups) {
            double mean = 0, var = 0;
            for (std::int64_t i : members)
                mean += x[b * per + i];
            mean /= double(members.size());
            for (std::int64_t i : members)
                var += (x[b * per + i] - mean) * (x[b * per + i] - mean);
            var /= double(members.size());
            for (std::int64_t i : members) {
                const std::int64_t p = param[static_cast<std::size_t>(i)];
                double v = (x[b * per + i] - mean) / std::sqrt(var + double(l.epsilon));
                if (c.scale)
                    v *= l.gamma[p];
                if (c.center)
                    v += l.beta[p];
                y[static_cast<std::size_t>(b * per + i)] = v;
            }
        }
    }
    return y;
}

void addCases()
{
    QTest::addColumn<Case>("c");
    QTest::newRow("sequence, axis -1") << Case{{4, 6}, {-1}};
    QTest::newRow("sequence, axis [2] (tf.keras' built form)") << Case{{4, 6}, {2}};
    QTest::newRow("sequence, the step axis [1]") << Case{{4, 6}, {1}};
    QTest::newRow("sequence, both axes [1, 2]") << Case{{4, 6}, {1, 2}};
    QTest::newRow("vector, axis -1, epsilon 0.5") << Case{{7}, {-1}, true, true, 0.5f};
    QTest::newRow("image, non-adjacent axes [3, 1]") << Case{{3, 2, 4}, {3, 1}};
    QTest::newRow("image, axes [-2, -1]") << Case{{3, 2, 4}, {-2, -1}};
    QTest::newRow("no center") << Case{{4, 6}, {-1}, false, true};
    QTest::newRow("no scale") << Case{{4, 6}, {-1}, true, false};
    QTest::newRow("neither") << Case{{4, 6}, {1}, false, false};
}

} // namespace

Q_DECLARE_METATYPE(Case)

class TestLayerNormalization : public QObject {
    Q_OBJECT

private slots:
    void forwardMatchesReference_data() { addCases(); }

    void forwardMatchesReference()
    {
        QFETCH(Case, c);
        SpecBuilder b(c.sample);
        b.add(layerNorm(c, paramCount(c), 5));
        const ModelSpec spec = b.done();
        const Model model(spec);
        Shape xs = c.sample;
        xs.insert(xs.begin(), 3);
        // Offset inputs (mean ≈ 3): the statistics must not cancel badly.
        Tensor x = randomTensor(xs, 11, -2.0f, 2.0f);
        for (std::int64_t i = 0; i < x.size(); ++i)
            x[i] += 3.0f;
        const Tensor got = model.forward(x);
        const std::vector<double> want = reference(spec.layers.back(), c, x);
        std::vector<float> wantF(want.begin(), want.end());
        QCOMPARE(got.shape(), x.shape());
        CIRCNN_COMPARE_VECTORS(got.data(), wantF.data(), wantF.size(), 1e-5, "forward");
    }

    void knownValues()
    {
        // [1, 2, 3]: mean 2, variance 2/3; epsilon 0, gamma 2, beta 1 → 1 ∓ 2·sqrt(3/2), 1.
        Case c{{3}, {-1}, true, true, 0.0f};
        LayerSpec l = layerNorm(c, 3, 1);
        l.gamma = Tensor({3}, 2.0f);
        l.beta = Tensor({3}, 1.0f);
        SpecBuilder b({3});
        b.add(l);
        const Model model(b.done());
        const Tensor y = model.forward(Tensor({1, 3}, {1.0f, 2.0f, 3.0f}));
        const double s = 2.0 * std::sqrt(1.5);
        QVERIFY(std::abs(y[0] - (1.0 - s)) < 1e-5);
        QVERIFY(std::abs(y[1] - 1.0) < 1e-6);
        QVERIFY(std::abs(y[2] - (1.0 + s)) < 1e-5);
    }

    void gradients_data() { addCases(); }

    void gradients()
    {
        // Input → Dense tanh over the last axis (pre) → LayerNormalization → Flatten → Dense (post).
        QFETCH(Case, c);
        SpecBuilder b(c.sample);
        const std::int64_t f = c.sample.back();
        b.dense(f, f, ActivationKind::Tanh).name = "pre";
        b.add(layerNorm(c, paramCount(c), 7));
        b.simple(LayerKind::Flatten);
        b.dense(shapeSize(c.sample), 3, ActivationKind::Linear).name = "post";
        test::checkGradients(b.done(), c.sample, false, 1e-2);
    }

    void sequenceMaskPassesThrough()
    {
        // Embedding(mask_zero) → LayerNormalization → LSTM: padding steps after the real tokens
        // leave the LSTM's last output unchanged (the mask reached it through the normalisation).
        LayerSpec e;
        e.kind = LayerKind::Embedding;
        e.name = "embedding";
        e.inputDim = 6;
        e.units = 4;
        e.maskZero = true;
        e.useBias = false;
        e.embeddings = randomTensor({6, 4}, 3);
        SpecBuilder b({5});
        b.add(e);
        b.add(layerNorm(Case{{5, 4}, {-1}}, 4, 9));
        LayerSpec lstm = test::recurrentLayer(LayerKind::LSTM, 4, 3, 13);
        b.add(lstm);
        const Model model(b.done());
        const Tensor shortIds({1, 5}, {2, 4, 0, 0, 0});
        const Tensor a = model.forward(shortIds);
        SpecBuilder b2({2});
        b2.add(e);
        b2.add(layerNorm(Case{{2, 4}, {-1}}, 4, 9));
        b2.add(lstm);
        const Model unpadded(b2.done());
        const Tensor want = unpadded.forward(Tensor({1, 2}, {2, 4}));
        CIRCNN_COMPARE_VECTORS(a.data(), want.data(), std::size_t(want.size()), 1e-6, "masked");
    }

    void badConfigurationIsNamed()
    {
        const auto expectError = [](LayerSpec l, const char* needle) {
            SpecBuilder b({4, 6});
            b.add(std::move(l));
            try {
                Model m(b.done());
                QFAIL(qPrintable(QString("no error, expected one with '%1'").arg(needle)));
            } catch (const Error& err) {
                const std::string what = err.what();
                QVERIFY2(what.find("'ln'") != std::string::npos && what.find(needle) != std::string::npos, err.what());
            }
        };
        const Case c{{4, 6}, {-1}};
        LayerSpec batchAxis = layerNorm(c, 6, 1);
        batchAxis.axes = {0};
        expectError(batchAxis, "batch axis");
        LayerSpec outside = layerNorm(c, 6, 1);
        outside.axes = {3};
        expectError(outside, "outside");
        LayerSpec twice = layerNorm(c, 6, 1);
        twice.axes = {2, -1};
        expectError(twice, "twice");
        LayerSpec wrongGamma = layerNorm(c, 6, 1);
        wrongGamma.gamma = Tensor({5}, 1.0f);
        expectError(wrongGamma, "gamma");
        LayerSpec nanBeta = layerNorm(c, 6, 1);
        nanBeta.beta[2] = std::nanf("");
        expectError(nanBeta, "NaN");
    }
};

QTEST_APPLESS_MAIN(TestLayerNormalization)
#include "TestLayerNormalization.moc"
