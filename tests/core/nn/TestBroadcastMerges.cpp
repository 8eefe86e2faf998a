// Element-wise merges with Keras broadcasting (model/BroadcastShape.h, nn/BroadcastMap.h): the
// shape rule, the forward pass of Add / Multiply / Subtract / Average / Maximum against a naive
// multi-index loop (each input index found by clamping its size-1 axes, right-aligned), the
// squeeze-excitation pattern (batch, 1, 1, C) × (batch, H, W, C), and gradients against finite
// differences through broadcast inputs (their gradient is summed over the repeated axes).

#include <QTest>

#include <algorithm>
#include <cmath>

#include "GradientCheck.h"
#include "NnTestUtil.h"
#include "TestSupport.h"
#include "common/Error.h"
#include "model/BroadcastShape.h"
#include "model/ShapeInference.h"
#include "nn/BroadcastMap.h"
#include "nn/Model.h"

using namespace circnn;
using circnn::test::randomTensor;
using circnn::test::SpecBuilder;

namespace {

LayerSpec kindLayer(LayerKind kind, const std::string& name)
{
    LayerSpec l;
    l.kind = kind;
    l.name = name;
    return l;
}

// Naive broadcast merge of per-sample tensors (batch first) written from the rule: for every
// output multi-index, input i reads the index with its size-1 (or missing leading) axes at 0.
std::vector<double> naiveMerge(LayerKind kind, const std::vector<const Tensor*>& xs, const Shape& out,
                               std::int64_t batch)
{
    const std::size_t rank = out.size();
    const std::int64_t size = shapeSize(out);
    std::vector<double> y(static_cast<std::size_t>(batch * size));
    std::vector<std::int64_t> index(rank);
    for (std::int64_t b = 0; b < batch; ++b)
        for (std::int64_t j = 0; j < size; ++j) {
            std::int64_t rest = j;
            for (std::size_t a = rank; a-- > 0;) {
                index[a] = rest % out[a];
                rest /= out[a];
            }
            double acc = 0;
            for (std::size_t i = 0; i < xs.size(); ++i) {
                const Tensor& x = *xs[i];
                const std::size_t r = static_cast<std::size_t>(x.rank() - 1), offset = rank - r;
                std::int64_t flat = 0;
                for (std::size_t a = 0; a < r; ++a) {
                    const std::int64_t n = x.dim(static_cast<std::int64_t>(a) + 1);
                    flat = flat * n + (n == 1 ? 0 : index[a + offset]);
                }
                const double v = x[b * (x.size() / batch) + flat];
                if (i == 0)
                    acc = v;
                else if (kind == LayerKind::Multiply)
                    acc *= v;
                else if (kind == LayerKind::Subtract)
                    acc -= v;
                else if (kind == LayerKind::Maximum)
                    acc = std::max(acc, v);
                else
                    acc += v; // Add, Average
            }
            if (kind == LayerKind::Average)
                acc /= double(xs.size());
            y[static_cast<std::size_t>(b * size + j)] = acc;
        }
    return y;
}

// The output of layer `name` of `spec` (the model cut at that layer).
Tensor outputOf(ModelSpec spec, const std::string& name, const Tensor& x)
{
    spec.outputs = {name};
    return Model(spec).forward(x);
}

} // namespace

class TestBroadcastMerges : public QObject {
    Q_OBJECT
private slots:
    void shapes()
    {
        QCOMPARE(*broadcastShapes({4, 5, 6}, {4, 5, 6}), (Shape{4, 5, 6}));
        QCOMPARE(*broadcastShapes({1, 1, 6}, {4, 5, 6}), (Shape{4, 5, 6}));
        QCOMPARE(*broadcastShapes({4, 5, 6}, {6}), (Shape{4, 5, 6}));
        QCOMPARE(*broadcastShapes({4, 1, 6}, {1, 5, 1}), (Shape{4, 5, 6}));
        QCOMPARE(*broadcastShapes({1}, {3, 2}), (Shape{3, 2}));
        QVERIFY(!broadcastShapes({4, 5, 6}, {5, 5, 6}));
        QVERIFY(!broadcastShapes({6}, {4, 5, 3}));
        QVERIFY_THROWS_EXCEPTION(ShapeError, nn::BroadcastMap({4, 5, 6}, {1, 1, 6})); // not in that direction
    }

    void expandAndReduce()
    {
        // reduce is the adjoint of expand: <expand(x), g> = <x, reduce(g)>.
        const nn::BroadcastMap map({3, 1, 2}, {3, 4, 2});
        const Tensor x = randomTensor({2, 3, 1, 2}, 3), g = randomTensor({2, 3, 4, 2}, 4);
        Tensor y, gx;
        map.expand(x, y);
        map.reduce(g, gx);
        QCOMPARE(y.shape(), (Shape{2, 3, 4, 2}));
        QCOMPARE(gx.shape(), x.shape());
        double a = 0, b = 0;
        for (std::int64_t i = 0; i < y.size(); ++i)
            a += double(y[i]) * g[i];
        for (std::int64_t i = 0; i < x.size(); ++i)
            b += double(x[i]) * gx[i];
        QVERIFY2(std::abs(a - b) < 1e-4 * std::max(1.0, std::abs(a)), qPrintable(QString("%1 vs %2").arg(a).arg(b)));
        QVERIFY(nn::BroadcastMap({3, 4, 2}, {3, 4, 2}).identity());
    }

    void forward_data()
    {
        QTest::addColumn<int>("kind");
        for (LayerKind k :
             {LayerKind::Add, LayerKind::Multiply, LayerKind::Subtract, LayerKind::Average, LayerKind::Maximum})
            QTest::newRow(layerKindName(k)) << int(k);
    }

    // Input (4, 3, 5) → three branches of different shapes merged: the features (4, 3, 5), a
    // squeeze-excitation style gate (1, 1, 5), a row vector (3, 1) [(4, 3, 5) needs (3, 1) → (1, 3, 1)].
    void forward()
    {
        QFETCH(int, kind);
        const LayerKind k = LayerKind(kind);
        SpecBuilder b({4, 3, 5});
        b.conv(5, 5, 1, 1, ActivationKind::Tanh).name = "features";
        b.simple(LayerKind::GlobalAveragePooling2D, {"features"});
        b.dense(5, 5, ActivationKind::Sigmoid).name = "gate";
        LayerSpec r = kindLayer(LayerKind::Reshape, "gate_1x1");
        r.targetShape = {1, 1, 5};
        b.add(r);
        b.dense(5, 3, ActivationKind::Linear, {b.spec.layers[2].name}).name = "rowvec";
        LayerSpec r2 = kindLayer(LayerKind::Reshape, "row_3x1");
        r2.targetShape = {3, 1};
        b.add(r2);
        const std::vector<std::string> ins = k == LayerKind::Subtract
                                                 ? std::vector<std::string>{"gate_1x1", "features"}
                                                 : std::vector<std::string>{"gate_1x1", "features", "row_3x1"};
        b.add(kindLayer(k, "merge"), ins);
        ModelSpec spec = b.done();
        inferShapes(spec, true);
        QCOMPARE(spec.find("merge")->outputShape, (Shape{4, 3, 5}));
        const Tensor x = randomTensor({2, 4, 3, 5}, 8);
        std::vector<Tensor> outs;
        for (const char* name : {"merge", "gate_1x1", "features", "row_3x1"})
            outs.push_back(outputOf(spec, name, x));
        QCOMPARE(outs[1].shape(), (Shape{2, 1, 1, 5}));
        std::vector<const Tensor*> xs{&outs[1], &outs[2]};
        if (k != LayerKind::Subtract)
            xs.push_back(&outs[3]);
        const std::vector<double> want = naiveMerge(k, xs, {4, 3, 5}, 2);
        QCOMPARE(outs[0].shape(), (Shape{2, 4, 3, 5}));
        const std::vector<float> w(want.begin(), want.end());
        CIRCNN_COMPARE_VECTORS(outs[0].data(), w.data(), w.size(), 1e-5, std::string(layerKindName(k)));
    }

    void incompatibleShapesAreRefused()
    {
        SpecBuilder b({4, 3, 5});
        b.conv(5, 5, 1, 1).name = "features";
        b.dense(5, 4, ActivationKind::Linear, {"input"}).name = "wrong"; // (4, 3, 4)
        b.add(kindLayer(LayerKind::Multiply, "mul"), {"features", "wrong"});
        ModelSpec spec = b.done();
        try {
            inferShapes(spec, true);
            QFAIL("incompatible shapes were accepted");
        } catch (const ShapeError& e) {
            const QString what = e.what();
            QVERIFY2(what.contains("mul") && what.contains("(4, 3, 5)") && what.contains("(4, 3, 4)") &&
                         what.contains("broadcast"),
                     qPrintable(what));
        }
    }

    void gradients_data()
    {
        QTest::addColumn<int>("kind");
        for (LayerKind k :
             {LayerKind::Add, LayerKind::Multiply, LayerKind::Subtract, LayerKind::Average, LayerKind::Maximum})
            QTest::newRow(layerKindName(k)) << int(k);
    }

    // pre (1×1 conv) → features and a squeeze-excitation gate (GAP → Dense → Reshape (1, 1, C)) →
    // merge → Flatten → post: the gate's Dense gets its gradient through the broadcast.
    void gradients()
    {
        QFETCH(int, kind);
        const LayerKind k = LayerKind(kind);
        const test::GradientCase c = test::spatialGradientNet(3, 4, 4, [k](SpecBuilder& b) {
            const std::string pre = b.last();
            b.conv(4, 4, 1, 1, ActivationKind::Linear).name = "features";
            b.simple(LayerKind::GlobalAveragePooling2D, {pre});
            b.dense(4, 4, ActivationKind::Sigmoid).name = "gate";
            LayerSpec r = kindLayer(LayerKind::Reshape, "gate_1x1");
            r.targetShape = {1, 1, 4};
            b.add(r);
            LayerSpec m = kindLayer(k, "merge");
            b.add(m, {"features", "gate_1x1"});
        });
        test::checkGradients(c.spec, c.input, false, 2e-2);
    }
};

QTEST_GUILESS_MAIN(TestBroadcastMerges)
#include "TestBroadcastMerges.moc"
