// The three MLPerf Tiny reference models in ../shared/models/mlperf-tiny (README there) against
// their reference outputs (an independent NumPy implementation of Keras semantics, float64):
// MobileNetV1 (DepthwiseConv2D + 1x1 Conv2D) and ResNet-8 class probabilities within 1e-4
// absolute, the Dense autoencoder's reconstruction within 1e-4 relative to its largest output.
// Skips when ../shared is absent. Also: the hardware estimate costs every layer of them.

#include <QTest>

#include <cmath>
#include <cstring>

#include "TestSupport.h"
#include "analysis/Conversion.h"
#include "common/Error.h"
#include "hw/Estimator.h"
#include "hw/PlatformRegistry.h"
#include "io/ModelFile.h"
#include "io/ZipArchive.h"
#include "nn/Model.h"

using namespace circnn;

namespace {

// A little-endian float32 / float64 C-order array from an .npz member (test-only reader).
Tensor readNpy(const ZipArchive& zip, const std::string& member)
{
    const std::string b = zip.read(member);
    if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0)
        throw Error(member + ": not .npy");
    const std::size_t headerLen = static_cast<unsigned char>(b[8]) | (static_cast<unsigned char>(b[9]) << 8);
    const std::string header = b.substr(10, headerLen);
    const bool f8 = header.find("'<f8'") != std::string::npos;
    if (!f8 && header.find("'<f4'") == std::string::npos)
        throw Error(member + ": dtype is not <f4 / <f8");
    if (header.find("'fortran_order': False") == std::string::npos)
        throw Error(member + ": Fortran order");
    Shape shape;
    const auto open = header.find('(', header.find("'shape'"));
    const auto close = header.find(')', open);
    std::string dims = header.substr(open + 1, close - open - 1);
    for (std::size_t p = 0; p < dims.size();) {
        const auto comma = dims.find(',', p);
        const std::string d = dims.substr(p, comma == std::string::npos ? std::string::npos : comma - p);
        if (d.find_first_of("0123456789") != std::string::npos)
            shape.push_back(std::stoll(d));
        if (comma == std::string::npos)
            break;
        p = comma + 1;
    }
    Tensor t(shape);
    const char* data = b.data() + 10 + headerLen;
    if (b.size() - 10 - headerLen < static_cast<std::size_t>(t.size()) * (f8 ? 8 : 4))
        throw Error(member + ": truncated");
    for (std::int64_t i = 0; i < t.size(); ++i) {
        if (f8) {
            double v;
            std::memcpy(&v, data + 8 * i, 8);
            t[i] = static_cast<float>(v);
        } else {
            std::memcpy(&t[i], data + 4 * i, 4);
        }
    }
    return t;
}

Tensor randomImages()
{
    Tensor x({2, 96, 96, 3});
    const auto v = test::randomVector(static_cast<std::size_t>(x.size()), 5, 0.0f, 1.0f);
    std::copy(v.begin(), v.end(), x.data());
    return x;
}

struct Diff {
    double maxAbs = 0, maxRef = 0;
};

Diff compareOutputs(const std::string& model, Tensor& yOut)
{
    const auto dir = test::sharedDir() / "models" / "mlperf-tiny";
    const ModelSpec spec = readModel(dir / (model + ".h5"));
    const ZipArchive zip((dir / (model + "_reference.npz")).string());
    const Tensor x = readNpy(zip, "x.npy");
    const Tensor y = readNpy(zip, "y.npy");
    const Model m(spec);
    yOut = m.forward(x);
    Diff d;
    if (yOut.shape() != y.shape())
        throw Error(model + ": output shape " + shapeToString(yOut.shape()) + " vs reference " +
                    shapeToString(y.shape()));
    for (std::int64_t i = 0; i < y.size(); ++i) {
        d.maxAbs = std::max(d.maxAbs, std::abs(double(yOut[i]) - y[i]));
        d.maxRef = std::max(d.maxRef, std::abs(double(y[i])));
    }
    return d;
}

} // namespace

class TestMlperfTiny : public QObject {
    Q_OBJECT
private slots:
    void referenceOutputs_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<bool>("relative");
        QTest::newRow("MobileNetV1 VWW 96") << "mobilenetv1_vww96" << false;
        QTest::newRow("ResNet-8 CIFAR-10") << "resnet8_cifar10" << false;
        QTest::newRow("autoencoder AD01") << "autoencoder_ad01" << true;
    }
    void referenceOutputs()
    {
        QFETCH(QString, model);
        QFETCH(bool, relative);
        if (!std::filesystem::exists(test::sharedDir() / "models" / "mlperf-tiny"))
            QSKIP("../shared/models/mlperf-tiny is not available");
        Tensor y;
        Diff d;
        try {
            d = compareOutputs(model.toStdString(), y);
        } catch (const Error& e) {
            QFAIL(e.what());
        }
        const double err = relative ? d.maxAbs / d.maxRef : d.maxAbs;
        qInfo("%s: max |diff| %.3g (largest reference output %.3g), %s error %.3g", qPrintable(model), d.maxAbs,
              d.maxRef, relative ? "relative" : "absolute", err);
        QVERIFY2(err <= 1e-4, qPrintable(model + QString(": error %1").arg(err)));
    }

    // Every layer of the MobileNet gets a cost; the depthwise layers stay dense at any k.
    void mobilenetEstimate()
    {
        const auto path = test::sharedDir() / "models" / "mlperf-tiny" / "mobilenetv1_vww96.h5";
        if (!std::filesystem::exists(path))
            QSKIP("../shared/models/mlperf-tiny is not available");
        const ModelSpec spec = readModel(path);
        hw::EstimateOptions o;
        o.blocks.defaultBlockSize = 4;
        const hw::Estimate e = hw::estimateModel(spec, hw::findPlatform("xcku060"), o);
        double depthwiseMacs = 0;
        int pointwiseConverted = 0;
        for (std::size_t i = 0; i < spec.layers.size(); ++i) {
            const LayerSpec& l = spec.layers[i];
            const hw::LayerEstimate& le = e.circulant.layers[i];
            if (l.kind == LayerKind::DepthwiseConv2D) {
                QCOMPARE(le.blockSize, std::int64_t(1));
                QVERIFY2(le.ops.realMacs > 0, l.name.c_str());
                QVERIFY2(le.weightBits > 0, l.name.c_str());
                depthwiseMacs += le.ops.realMacs;
            }
            if (l.kind == LayerKind::Conv2D && l.kernelH == 1 && le.blockSize == 4)
                ++pointwiseConverted;
        }
        QVERIFY(depthwiseMacs > 0);
        QVERIFY2(pointwiseConverted >= 10, qPrintable(QString::number(pointwiseConverted)));
        QVERIFY(e.circulant.weightBits < e.dense.weightBits);
    }

    // Conversion at k = 4 and 8 makes the 1x1 (pointwise) convolutions block-circulant, keeps the
    // depthwise ones dense with the reason, and the converted model still runs (probabilities).
    void mobilenetConversion()
    {
        const auto path = test::sharedDir() / "models" / "mlperf-tiny" / "mobilenetv1_vww96.h5";
        if (!std::filesystem::exists(path))
            QSKIP("../shared/models/mlperf-tiny is not available");
        const ModelSpec spec = readModel(path);
        for (std::int64_t k : {4, 8}) {
            ConversionRequest request;
            request.defaultBlockSize = k;
            const ConversionResult r = convertModel(spec, request);
            int depthwise = 0, pointwise = 0;
            for (const LayerConversion& lc : r.layers) {
                const LayerSpec& l = *spec.find(lc.layer);
                if (l.kind == LayerKind::DepthwiseConv2D) {
                    ++depthwise;
                    QVERIFY(!lc.converted);
                    QVERIFY2(lc.reason.find("no channel mixing") != std::string::npos, lc.reason.c_str());
                } else if (l.kind == LayerKind::Conv2D && l.kernelH == 1 && lc.converted) {
                    ++pointwise;
                    QCOMPARE(lc.blockSize, k);
                }
            }
            QCOMPARE(depthwise, 13);
            QVERIFY2(pointwise >= 12, qPrintable(QString::number(pointwise)));
            const Model m(r.model);
            const Tensor y = m.forward(randomImages());
            for (std::int64_t n = 0; n < 2; ++n)
                QVERIFY(std::abs(double(y[2 * n]) + y[2 * n + 1] - 1.0) < 1e-5);
        }
    }
};

QTEST_APPLESS_MAIN(TestMlperfTiny)
#include "TestMlperfTiny.moc"
