#pragma once
// Helpers shared by the core/io suites: seeded ModelSpecs built in C++, spec comparison, and the
// Keras fixture generator (tests/data/make_keras_fixtures.py, run with a python3 that has h5py
// and numpy; tests skip cleanly without one).

#include <QProcess>
#include <QStringList>
#include <QTest>

#include <cstring>
#include <filesystem>
#include <string>

#include "TestSupport.h"
#include "io/Hdf5.h"
#include "model/ModelSpec.h"
#include "model/ShapeInference.h"

namespace circnn::test {

inline Tensor randomTensor(const Shape& shape, std::uint32_t seed, float scale = 0.5f)
{
    Tensor t(shape);
    const auto v = randomVector(static_cast<std::size_t>(t.size()), seed, -scale, scale);
    std::memcpy(t.data(), v.data(), v.size() * sizeof(float));
    return t;
}

inline LayerSpec inputLayer(const std::string& name, Shape shape)
{
    LayerSpec l;
    l.name = name;
    l.kind = LayerKind::Input;
    l.className = "InputLayer";
    l.inputShape = std::move(shape);
    return l;
}

inline LayerSpec denseLayer(const std::string& name, const std::string& input, std::int64_t in, std::int64_t units,
                            ActivationKind act, std::uint32_t seed, bool bias = true)
{
    LayerSpec l;
    l.name = name;
    l.kind = LayerKind::Dense;
    l.className = "Dense";
    l.inputs = {input};
    l.units = units;
    l.activation = act;
    l.useBias = bias;
    l.kernel = randomTensor({in, units}, seed);
    if (bias)
        l.bias = randomTensor({units}, seed + 1, 0.1f);
    return l;
}

inline LayerSpec simpleLayer(const std::string& name, LayerKind kind, std::vector<std::string> inputs)
{
    LayerSpec l;
    l.name = name;
    l.kind = kind;
    l.className = layerKindName(kind);
    l.inputs = std::move(inputs);
    return l;
}

// Input(30) → Dense 20 relu → Dense 17 tanh (no bias) → Dense 5 softmax: sizes k = 4 does not divide.
inline ModelSpec mlpSpec(std::uint32_t seed = 1)
{
    ModelSpec m;
    m.name = "mlp";
    m.layers = {inputLayer("in", {30}), denseLayer("d1", "in", 30, 20, ActivationKind::Relu, seed),
                denseLayer("d2", "d1", 20, 17, ActivationKind::Tanh, seed + 10, false),
                denseLayer("out", "d2", 17, 5, ActivationKind::Softmax, seed + 20)};
    m.inputs = {"in"};
    m.outputs = {"out"};
    inferShapes(m);
    return m;
}

// A small Functional CNN with a branch: Conv2D → BatchNorm → MaxPool → Flatten → two Dense
// branches → Add, plus a LeakyReLU activation layer and a Concatenate.
inline ModelSpec branchySpec(std::uint32_t seed = 7)
{
    ModelSpec m;
    m.name = "branchy";
    LayerSpec conv = simpleLayer("conv", LayerKind::Conv2D, {"img"});
    conv.units = 4;
    conv.kernelH = conv.kernelW = 3;
    conv.padding = Padding::Same;
    conv.activation = ActivationKind::Relu;
    conv.kernel = randomTensor({3, 3, 2, 4}, seed);
    conv.bias = randomTensor({4}, seed + 1, 0.1f);
    LayerSpec bn = simpleLayer("bn", LayerKind::BatchNormalization, {"conv"});
    bn.gamma = randomTensor({4}, seed + 2);
    bn.beta = randomTensor({4}, seed + 3);
    bn.movingMean = randomTensor({4}, seed + 4);
    bn.movingVariance = randomTensor({4}, seed + 5);
    for (std::int64_t i = 0; i < 4; ++i)
        bn.movingVariance[i] = 1.0f + std::abs(bn.movingVariance[i]);
    LayerSpec pool = simpleLayer("pool", LayerKind::MaxPooling2D, {"bn"});
    pool.kernelH = pool.kernelW = pool.strideH = pool.strideW = 2;
    LayerSpec leaky = simpleLayer("leaky", LayerKind::Activation, {"pool"});
    leaky.className = "LeakyReLU";
    leaky.activation = ActivationKind::LeakyRelu;
    leaky.activationAlpha = 0.1f;
    LayerSpec flat = simpleLayer("flat", LayerKind::Flatten, {"leaky"});
    LayerSpec a = denseLayer("branch_a", "flat", 36, 12, ActivationKind::Sigmoid, seed + 6);
    LayerSpec b = denseLayer("branch_b", "flat", 36, 12, ActivationKind::Linear, seed + 8);
    LayerSpec add = simpleLayer("add", LayerKind::Add, {"branch_a", "branch_b"});
    LayerSpec cat = simpleLayer("cat", LayerKind::Concatenate, {"add", "branch_a"});
    LayerSpec drop = simpleLayer("drop", LayerKind::Dropout, {"cat"});
    drop.rate = 0.25f;
    LayerSpec out = denseLayer("out", "drop", 24, 6, ActivationKind::Softmax, seed + 9);
    m.layers = {inputLayer("img", {6, 6, 2}), conv, bn, pool, leaky, flat, a, b, add, cat, drop, out};
    m.inputs = {"img"};
    m.outputs = {"out"};
    inferShapes(m);
    return m;
}

// Exact comparison of two specs (architecture and every weight bit).
inline void compareSpecs(const ModelSpec& a, const ModelSpec& b, bool compareClassNames = true)
{
    QCOMPARE(a.layers.size(), b.layers.size());
    QVERIFY(a.inputs == b.inputs);
    QVERIFY(a.outputs == b.outputs);
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
        const LayerSpec& x = a.layers[i];
        const LayerSpec& y = b.layers[i];
        const QByteArray ctx = QByteArray("layer ") + x.name.c_str();
        QVERIFY2(x.name == y.name, ctx);
        QVERIFY2(x.kind == y.kind, ctx);
        if (compareClassNames)
            QVERIFY2(x.className == y.className, ctx);
        QVERIFY2(x.inputs == y.inputs, ctx);
        QVERIFY2(x.activation == y.activation, ctx);
        QVERIFY2(x.activationAlpha == y.activationAlpha, ctx);
        QVERIFY2(x.units == y.units && x.useBias == y.useBias, ctx);
        QVERIFY2(x.kernelH == y.kernelH && x.kernelW == y.kernelW && x.strideH == y.strideH && x.strideW == y.strideW &&
                     x.dilationH == y.dilationH && x.dilationW == y.dilationW && x.padding == y.padding,
                 ctx);
        QVERIFY2(x.outputShape == y.outputShape, ctx);
        QVERIFY2(x.kernel == y.kernel, ctx + " kernel");
        QVERIFY2(x.bias == y.bias, ctx + " bias");
        QVERIFY2(x.gamma == y.gamma && x.beta == y.beta, ctx + " gamma/beta");
        QVERIFY2(x.movingMean == y.movingMean && x.movingVariance == y.movingVariance, ctx + " moving stats");
        QVERIFY2(x.epsilon == y.epsilon, ctx);
        QVERIFY2(x.circulant.has_value() == y.circulant.has_value(), ctx);
        if (x.circulant) {
            QVERIFY2(x.circulant->k == y.circulant->k && x.circulant->rows == y.circulant->rows &&
                         x.circulant->cols == y.circulant->cols,
                     ctx);
            QVERIFY2(x.circulant->vectors == y.circulant->vectors, ctx + " vectors");
        }
    }
}

// A python3 interpreter that can import h5py and numpy, or empty.
inline QString pythonWithH5py()
{
    for (const QString& candidate : {QStringLiteral("python3"), QStringLiteral("/usr/bin/python3")}) {
        QProcess p;
        p.start(candidate, {"-c", "import h5py, numpy"});
        if (p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0)
            return candidate;
    }
    return {};
}

// Runs the fixture generator into the build tree (once per process), into a folder of this test
// program's own: ctest runs several suites that use the fixtures at once, and a shared folder was
// removed and rewritten under the others' feet (random aborts with `ctest -j`). Returns the
// folder, or an empty path with `why` set when python3 + h5py is unavailable or the script failed.
inline std::filesystem::path kerasFixtures(QString& why)
{
    static std::filesystem::path dir;
    static QString reason;
    static bool done = false;
    if (!done) {
        done = true;
        const QString python = pythonWithH5py();
        if (python.isEmpty()) {
            reason = "python3 with h5py and numpy is not available";
        } else {
            std::error_code ec;
            const auto program = std::filesystem::read_symlink("/proc/self/exe", ec).filename().string();
            const auto out = tempDir() / ("keras_fixtures_" + (program.empty() ? std::string("suite") : program));
            std::filesystem::remove_all(out);
            QProcess p;
            p.start(python, {QString::fromStdString((sourceDir() / "tests/data/make_keras_fixtures.py").string()),
                             QString::fromStdString(out.string())});
            if (!p.waitForFinished(300000) || p.exitCode() != 0)
                reason = "make_keras_fixtures.py failed: " + QString::fromUtf8(p.readAllStandardError());
            else
                dir = out;
        }
    }
    why = reason;
    return dir;
}

// A reference tensor ("x", "y") of a fixture's .ref.h5 file, written by the fixture generators.
inline Tensor readRef(const std::filesystem::path& path, const char* name)
{
    h5::File f = h5::openFile(path.string());
    return h5::readFloatDataset(f, f.id(), name);
}

inline bool bitIdentical(const Tensor& a, const Tensor& b)
{
    return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), sizeof(float) * std::size_t(a.size())) == 0;
}

// `batch` random samples of `sampleShape` (values in ±1).
inline Tensor randomBatch(const Shape& sampleShape, std::int64_t batch, std::uint32_t seed)
{
    Shape s{batch};
    s.insert(s.end(), sampleShape.begin(), sampleShape.end());
    return randomTensor(s, seed, 1.0f);
}

} // namespace circnn::test
