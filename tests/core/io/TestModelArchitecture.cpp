// readModelArchitecture (io/ModelFile.h): the architecture of a model file without its weights.
// For native, Keras .h5 and .keras files, isolated and in-process: the same layer table, shapes,
// parameter / MAC counts and inspect summary as readModel, no tensor values, every stored weight's
// shape recorded; weight values are not even looked at (a NaN in them does not matter); damaged
// files give the same clean errors as readModel; the transfer message carries the shapes.

#include <QTest>

#include <fstream>
#include <functional>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

#include "../nn/RecurrentReference.h"
#include "TestSupport.h"
#include "analysis/Conversion.h"
#include "analysis/InspectWorkflow.h"
#include "common/Error.h"
#include "io/IsolatedReader.h"
#include "io/ModelFile.h"
#include "io/Transfer.h"
#include "model/LayerTraits.h"
#include "model/ShapeInference.h"

using namespace circnn;
namespace fs = std::filesystem;

namespace {

// Every weight tensor of a layer with the key its shape is recorded under.
std::vector<std::pair<std::string, const Tensor*>> weightMembers(const LayerSpec& l)
{
    std::vector<std::pair<std::string, const Tensor*>> out;
    for (const WeightRoleInfo& r : weightRoleTable())
        if (weightShapeKey(l, l.*r.member) == r.name)
            out.emplace_back(r.name, &(l.*r.member));
    if (l.circulant)
        out.emplace_back("vectors", &l.circulant->vectors);
    if (l.recurrentCirculant)
        out.emplace_back("recurrent_vectors", &l.recurrentCirculant->vectors);
    return out;
}

// `arch` (an architecture-only read) against `full` (readModel of the same file).
void expectSameArchitecture(const ModelSpec& arch, const ModelSpec& full, const std::string& file)
{
    const QByteArray f = QByteArray::fromStdString(file);
    QVERIFY2(full.weightsLoaded, f);
    QVERIFY2(!arch.weightsLoaded, f);
    QCOMPARE(arch.name, full.name);
    QVERIFY2(arch.inputs == full.inputs && arch.outputs == full.outputs, f);
    QCOMPARE(arch.provenance.sourceFormat, full.provenance.sourceFormat);
    QCOMPARE(arch.provenance.sourceFile, full.provenance.sourceFile);
    QVERIFY2(arch.plan.perLayer == full.plan.perLayer, f);
    QCOMPARE(arch.layers.size(), full.layers.size());
    std::size_t recorded = 0;
    for (std::size_t i = 0; i < full.layers.size(); ++i) {
        const LayerSpec &a = arch.layers[i], &b = full.layers[i];
        const QByteArray ctx = f + " layer " + QByteArray::fromStdString(b.name);
        QVERIFY2(a.name == b.name && a.kind == b.kind && a.inputs == b.inputs, ctx);
        QVERIFY2(a.outputShape == b.outputShape, ctx);
        QVERIFY2(a.activation == b.activation && a.units == b.units && a.useBias == b.useBias, ctx);
        QVERIFY2(a.circulant.has_value() == b.circulant.has_value(), ctx);
        QVERIFY2(a.recurrentCirculant.has_value() == b.recurrentCirculant.has_value(), ctx);
        if (b.circulant)
            QVERIFY2(a.circulant->k == b.circulant->k && a.circulant->rows == b.circulant->rows &&
                         a.circulant->cols == b.circulant->cols,
                     ctx);
        QVERIFY2(b.weightShapes.empty(), ctx + " (readModel recorded shapes)");
        // No values, the same shapes; a shape is recorded for exactly the tensors readModel filled
        // (Normalization keeps config statistics as tensors: they are architecture).
        const auto am = weightMembers(a), bm = weightMembers(b);
        QCOMPARE(am.size(), bm.size());
        for (std::size_t t = 0; t < bm.size(); ++t) {
            const QByteArray what = ctx + " " + QByteArray::fromStdString(bm[t].first);
            const bool fromConfig = b.kind == LayerKind::Normalization && b.statsInConfig;
            if (!fromConfig)
                QVERIFY2(am[t].second->empty(), what + " holds values");
            QVERIFY2(storedWeightShape(a, *am[t].second) == bm[t].second->shape(), what);
            QCOMPARE(storedWeightCount(a, *am[t].second), bm[t].second->size());
            recorded += !bm[t].second->empty() && !fromConfig;
        }
        const LayerStats sa = layerStats(arch, a), sb = layerStats(full, b);
        QVERIFY2(sa.parameters == sb.parameters && sa.denseParameters == sb.denseParameters && sa.macs == sb.macs,
                 ctx + " stats");
    }
    std::size_t keys = 0;
    for (const LayerSpec& l : arch.layers)
        keys += l.weightShapes.size();
    QCOMPARE(keys, recorded);

    // The inspect workflow's table and totals from the recorded shapes.
    InspectConfig config;
    config.weightStatistics = true;
    config.model.model = std::make_shared<const ModelSpec>(arch);
    const InspectResult ra = inspectModel(config);
    config.model.model = std::make_shared<const ModelSpec>(full);
    const InspectResult rb = inspectModel(config);
    QVERIFY2(ra.parameters == rb.parameters && ra.denseParameters == rb.denseParameters && ra.macs == rb.macs, f);
    QCOMPARE(ra.compression, rb.compression);
    QVERIFY2(ra.inputShape == rb.inputShape && ra.outputShape == rb.outputShape, f);
    QCOMPARE(ra.layers.size(), rb.layers.size());
    for (std::size_t i = 0; i < ra.layers.size(); ++i) {
        const LayerSummary &x = ra.layers[i], &y = rb.layers[i];
        QVERIFY2(x.name == y.name && x.className == y.className && x.outputShape == y.outputShape &&
                     x.parameters == y.parameters && x.denseParameters == y.denseParameters && x.macs == y.macs &&
                     x.representation == y.representation && x.blockSize == y.blockSize && x.blockRows == y.blockRows &&
                     x.blockCols == y.blockCols,
                 f + " summary of " + QByteArray::fromStdString(y.name));
    }
    QVERIFY2(ra.weights.empty(), f + " weight statistics without weights");
    QVERIFY2(!rb.weights.empty(), f);
    QCOMPARE(ra.warnings.size(), rb.warnings.size() + 1); // "the weights are not loaded"
}

// Reads `path` both ways, isolated and in-process, and compares.
void checkFile(const fs::path& path)
{
    for (const bool isolated : {true, false}) {
        setIsolationEnabled(isolated);
        ModelFormat fa = ModelFormat::Native, fb = ModelFormat::Native;
        const ModelSpec arch = readModelArchitecture(path, &fa);
        const ModelSpec full = readModel(path);
        fb = detectModelFormat(path);
        QCOMPARE(fa, fb);
        expectSameArchitecture(arch, full, path.string() + (isolated ? " (isolated)" : " (in-process)"));
        if (QTest::currentTestFailed())
            break;
    }
    setIsolationEnabled(true);
}

std::string errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

fs::path sample(const char* name)
{
    return test::sourceDir() / "sample_models" / name;
}

// Input (6, 8) → LSTM 8 (sequences) → GRU 4 → Dense 3, dense weights.
ModelSpec recurrentModel()
{
    test::SpecBuilder b({6, 8}, "recurrent");
    LayerSpec lstm = test::recurrentLayer(LayerKind::LSTM, 8, 8, 5);
    lstm.name = "lstm";
    lstm.returnSequences = true;
    b.add(lstm);
    LayerSpec gru = test::recurrentLayer(LayerKind::GRU, 8, 4, 9);
    gru.name = "gru";
    b.add(gru);
    b.dense(4, 3, ActivationKind::Softmax).name = "head";
    ModelSpec m = b.done();
    inferShapes(m);
    return m;
}

// Input (8, 8, 3) → Conv2D 8 → BatchNormalization → DepthwiseConv2D → Flatten → Dense 10.
ModelSpec convModel()
{
    test::SpecBuilder b({8, 8, 3}, "conv");
    b.conv(3, 8, 3, 3);
    LayerSpec bn;
    bn.kind = LayerKind::BatchNormalization;
    bn.gamma = test::randomTensor({8}, 11, 0.5f, 1.5f);
    bn.beta = test::randomTensor({8}, 12);
    bn.movingMean = test::randomTensor({8}, 13);
    bn.movingVariance = test::randomTensor({8}, 14, 0.5f, 2.0f);
    b.add(bn);
    b.depthwise(8, 3, 3, 1);
    b.simple(LayerKind::Flatten);
    b.dense(4 * 4 * 8, 10, ActivationKind::Softmax);
    ModelSpec m = b.done();
    inferShapes(m);
    return m;
}

// A block-circulant version (k = 4, every convertible layer) of `m`.
ModelSpec circulant(const ModelSpec& m)
{
    ConversionRequest request;
    request.defaultBlockSize = 4;
    request.convertOutputLayer = true;
    return convertModel(m, request).model;
}

} // namespace

class TestModelArchitecture : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QVERIFY(fs::exists(readerExecutable())); }

    void sampleModels_data()
    {
        QTest::addColumn<QString>("file");
        for (const char* f : {"fashion_mlp_dense.h5", "fashion_mlp_k8.circnn.h5", "fashion_cnn_dense.h5"})
            QTest::newRow(f) << QString::fromStdString(sample(f).string());
    }
    void sampleModels()
    {
        QFETCH(QString, file);
        checkFile(file.toStdString());
    }

    // Models written here: native and Keras .h5, dense and block-circulant, with recurrent,
    // convolution, batch-normalisation and depthwise layers.
    void writtenModels()
    {
        const fs::path dir = test::tempDir() / "architecture";
        fs::create_directories(dir);
        const std::pair<const char*, ModelSpec> models[] = {{"recurrent", recurrentModel()},
                                                            {"recurrent_k4", circulant(recurrentModel())},
                                                            {"conv", convModel()},
                                                            {"conv_k4", circulant(convModel())}};
        for (const auto& [name, model] : models) {
            const fs::path native = dir / (std::string(name) + ".circnn.h5");
            writeNativeModel(model, native, {true});
            checkFile(native);
            if (QTest::currentTestFailed())
                return;
            bool dense = true;
            for (const LayerSpec& l : model.layers)
                dense = dense && !l.circulant && !l.recurrentCirculant;
            if (dense) {
                const fs::path keras = dir / (std::string(name) + ".h5");
                writeKerasH5(model, keras, {true});
                checkFile(keras);
                if (QTest::currentTestFailed())
                    return;
            }
        }
    }

    // Real Keras files (2.x and 3.x .h5, a .keras zip, the MLPerf Tiny models).
    void realKerasModels_data()
    {
        QTest::addColumn<QString>("file");
        for (const char* f :
             {"mlp_keras2.0.8_jacegem.h5", "mlp_keras3.3.3_4bumuhammad.h5", "cnn_keras2.3.1_ikukang.h5",
              "cnn_keras3.1.1_moonflower2022.h5", "cnn_keras3.1.1_moonflower2022.keras",
              "mlperf-tiny/autoencoder_ad01.h5", "mlperf-tiny/mobilenetv1_vww96.h5", "mlperf-tiny/resnet8_cifar10.h5"})
            QTest::newRow(f) << QString::fromUtf8(f);
    }
    void realKerasModels()
    {
        CIRCNN_REQUIRE_SHARED();
        QFETCH(QString, file);
        checkFile(test::sharedDir() / "models" / file.toStdString());
    }

    // The weight values are not read: a NaN in them stops readModel, not the architecture.
    void weightValuesAreNotRead()
    {
        ModelSpec m = recurrentModel();
        m.layers.back().kernel[5] = std::numeric_limits<float>::quiet_NaN();
        const fs::path path = test::tempDir() / "architecture-nan.circnn.h5";
        writeNativeModel(m, path, {true});
        for (const bool isolated : {true, false}) {
            setIsolationEnabled(isolated);
            const std::string error = errorOf([&] { readModel(path); });
            QVERIFY2(error.find("NaN") != std::string::npos, error.c_str());
            const ModelSpec arch = readModelArchitecture(path);
            QCOMPARE(arch.layers.size(), m.layers.size());
            QCOMPARE(modelStats(arch).parameters, modelStats(m).parameters);
        }
        setIsolationEnabled(true);
    }

    // Files readModel refuses before any weight: the same error, naming the file.
    void malformedFilesGiveTheSameErrors()
    {
        const fs::path dir = test::tempDir() / "architecture-bad";
        fs::create_directories(dir);
        std::vector<fs::path> files;
        const auto write = [&](const char* name, const std::string& bytes) {
            std::ofstream(dir / name, std::ios::binary | std::ios::trunc) << bytes;
            files.push_back(dir / name);
        };
        write("empty.h5", "");
        write("text.h5", "not a model at all\n");
        write("fake-hdf5.h5", std::string("\x89HDF\r\n\x1a\n", 8) + std::string(200, '\x07'));
        write("fake-zip.keras", std::string("PK\x03\x04", 4) + std::string(100, 'z'));
        {
            std::ifstream in(sample("fashion_mlp_k8.circnn.h5"), std::ios::binary);
            std::ostringstream s;
            s << in.rdbuf();
            write("truncated.circnn.h5", s.str().substr(0, 1500));
        }
        files.push_back(dir / "missing.circnn.h5");
        if (test::haveShared())
            files.push_back(test::sharedDir() / "models/mlp512_weightsonly_keras2.2.2_suertang.h5");
        for (const bool isolated : {true, false}) {
            setIsolationEnabled(isolated);
            for (const fs::path& p : files) {
                const std::string full = errorOf([&] { readModel(p); });
                const std::string arch = errorOf([&] { readModelArchitecture(p); });
                QVERIFY2(arch.find(p.string()) != std::string::npos, arch.c_str());
                QCOMPARE(arch, full);
            }
        }
        setIsolationEnabled(true);
    }

    // Files that crash or hang the HDF5 library: a clean error from the isolated reader.
    void damagedFilesAreContained()
    {
        qputenv("CIRCNN_READER_TIMEOUT", "3");
        setIsolationEnabled(true);
        for (const char* name : {"crash-vlen-heap_fashion_mlp_dense.h5", "hang-heap-loop_fashion_mlp_k8.circnn.h5"}) {
            const fs::path p = test::sourceDir() / "tests/data/fuzz-regressions" / name;
            const std::string error = errorOf([&] { readModelArchitecture(p); });
            QVERIFY2(error.find(p.string()) != std::string::npos, error.c_str());
        }
        qunsetenv("CIRCNN_READER_TIMEOUT");
    }

    // The transfer message: recorded shapes and the flag survive; tensors beside them are refused.
    void transferCarriesWeightShapes()
    {
        setIsolationEnabled(false);
        const fs::path path = test::tempDir() / "architecture-transfer.circnn.h5";
        writeNativeModel(circulant(recurrentModel()), path, {true});
        const ModelSpec arch = readModelArchitecture(path);
        setIsolationEnabled(true);
        const fs::path message = test::tempDir() / "architecture-transfer.bin";
        const auto roundTrip = [&](const ModelSpec& m) {
            const int fd = ::open(message.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
            transfer::writeModel(fd, m, ModelFormat::Native);
            ::close(fd);
            std::ifstream in(message, std::ios::binary);
            std::ostringstream s;
            s << in.rdbuf();
            const std::string bytes = s.str();
            return transfer::readModel(bytes.data(), bytes.size(), "m.circnn.h5");
        };
        const ModelSpec back = roundTrip(arch);
        QVERIFY(!back.weightsLoaded);
        for (std::size_t i = 0; i < arch.layers.size(); ++i)
            QVERIFY(back.layers[i].weightShapes == arch.layers[i].weightShapes);
        ModelSpec mixed = arch;
        mixed.layers.back().bias = Tensor({3}, 1.0f);
        const std::string error = errorOf([&] { roundTrip(mixed); });
        QVERIFY2(error.find("malformed") != std::string::npos, error.c_str());
    }
};

QTEST_MAIN(TestModelArchitecture)
#include "TestModelArchitecture.moc"
