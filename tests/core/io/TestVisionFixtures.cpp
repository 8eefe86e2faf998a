// The issue-15 layer families in Keras files: fixtures from tests/data/vision_fixtures.py (via
// make_keras_fixtures.py) in Keras 2 and Keras 3 layouts against its independent numpy forward
// pass; the Keras writer and the native format round-trip them, and the written Keras file means
// the same to the independent loader (tests/data/keras_h5_forward.py).

#include <QTest>

#include <cstring>

#include <nlohmann/json.hpp>

#include "IoTestUtil.h"
#include "TestSupport.h"
#include "common/Error.h"
#include "io/Hdf5.h"
#include "io/KerasConfig.h"
#include "io/ModelFile.h"
#include "nn/Model.h"

using namespace circnn;
using test::bitIdentical;
using test::readRef;

namespace {
const char* const kFixtures[] = {
    "k2_conv_autoencoder.h5",
    "k33_conv_autoencoder.h5",
    "conv_autoencoder.keras",
    "k2_merges.h5",
    "merges.keras",
    "k2_nested.h5",
    "k33_nested.h5",
    "nested.keras",
    "k2_nested_sequential.h5",
    "k2_squeeze_excitation.h5",
    "squeeze_excitation.keras",
};

// The issue-15 fields compareSpecs does not look at.
void compareVisionFields(const ModelSpec& a, const ModelSpec& b)
{
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
        const LayerSpec& x = a.layers[i];
        const LayerSpec& y = b.layers[i];
        const QByteArray ctx = QByteArray("layer ") + x.name.c_str();
        QVERIFY2(x.bilinear == y.bilinear && x.outputPadding == y.outputPadding, ctx);
        QVERIFY2(x.rescaleScale == y.rescaleScale && x.rescaleOffset == y.rescaleOffset, ctx);
        QVERIFY2(x.invert == y.invert && x.statsInConfig == y.statsInConfig, ctx);
        QVERIFY2(x.permuteDims == y.permuteDims && x.repeats == y.repeats, ctx);
        QVERIFY2(x.padTop == y.padTop && x.padBottom == y.padBottom && x.padLeft == y.padLeft &&
                     x.padRight == y.padRight,
                 ctx);
    }
}

// The fixture folder, or skips / fails the running test (returns empty).
std::filesystem::path fixtures()
{
    QString why;
    const auto dir = test::kerasFixtures(why);
    if (dir.empty() && !why.startsWith("python3"))
        QTest::qFail(qPrintable(why), __FILE__, __LINE__);
    return dir;
}

} // namespace

class TestVisionFixtures : public QObject {
    Q_OBJECT
private slots:
    void fixtures_data()
    {
        QTest::addColumn<QString>("file");
        for (const char* f : kFixtures)
            QTest::newRow(f) << QString(f);
    }

    void fixtures()
    {
        QFETCH(QString, file);
        const auto dir = ::fixtures();
        if (dir.empty())
            QSKIP("python3 with h5py and numpy is not available");
        const auto path = dir / file.toStdString();
        QVERIFY2(std::filesystem::exists(path), "generator did not write the fixture");
        ModelSpec spec;
        try {
            spec = readModel(path);
        } catch (const Error& e) {
            QFAIL(e.what());
        }
        const Tensor x = readRef(path.string() + ".ref.h5", "x");
        const Tensor want = readRef(path.string() + ".ref.h5", "y");
        const Tensor got = Model(spec).forward(x);
        QCOMPARE(got.shape(), want.shape());
        CIRCNN_COMPARE_VECTORS(got.data(), want.data(), std::size_t(got.size()), 2e-5, file.toStdString());
    }

    void layersAreRead()
    {
        const auto dir = ::fixtures();
        if (dir.empty())
            QSKIP("python3 with h5py and numpy is not available");
        const ModelSpec ae = readModel(dir / "k2_conv_autoencoder.h5");
        QVERIFY(ae.find("up_bilinear")->bilinear);
        QVERIFY(!ae.find("up_nearest")->bilinear);
        QVERIFY(ae.find("dec2")->outputPadding == (std::pair<std::int64_t, std::int64_t>{1, 0}));
        QVERIFY(!ae.find("dec1")->outputPadding);
        QCOMPARE(ae.find("crop")->padTop, std::int64_t(1));
        QCOMPARE(ae.find("norm")->movingMean.shape(), (Shape{3}));
        QVERIFY(!ae.find("norm")->statsInConfig);
        const ModelSpec mg = readModel(dir / "merges.keras");
        QVERIFY(mg.find("denorm")->statsInConfig && mg.find("denorm")->invert);
        QVERIFY(mg.find("perm")->permuteDims == (std::vector<std::int64_t>{2, 1}));
        QCOMPARE(mg.find("rep")->repeats, std::int64_t(3));
        QCOMPARE(mg.find("mul")->inputs.size(), std::size_t(3));
    }

    void nestedModelsAreFlattened_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("keras 2 h5") << "k2_nested.h5";
        QTest::newRow("keras 3 h5") << "k33_nested.h5";
        QTest::newRow("keras 3 zip") << "nested.keras";
    }

    void nestedModelsAreFlattened()
    {
        // The nested Sequential "encoder" and Functional "head" become layers "encoder/conv", ...;
        // the inner "head/dense" and the outer "dense" keep their own weights.
        QFETCH(QString, file);
        const auto dir = ::fixtures();
        if (dir.empty())
            QSKIP("python3 with h5py and numpy is not available");
        const ModelSpec m = readModel(dir / file.toStdString());
        for (const char* name : {"encoder/conv", "encoder/bn", "encoder/up", "encoder/flat", "head/dense_a",
                                 "head/dense_b", "head/gate", "head/dense", "dense"})
            QVERIFY2(m.find(name), name);
        QVERIFY(!m.find("encoder") && !m.find("head") && !m.find("encoder/seq_in") && !m.find("head/head_in"));
        QVERIFY(m.find("encoder/conv")->inputs == std::vector<std::string>{"image"});
        QVERIFY(m.find("head/dense_a")->inputs == std::vector<std::string>{"encoder/flat"});
        QVERIFY(m.find("dense")->inputs == std::vector<std::string>{"head/dense"});
        QCOMPARE(m.find("head/dense")->kernel.shape(), (Shape{6, 4}));
        QCOMPARE(m.find("dense")->kernel.shape(), (Shape{4, 3}));
        QCOMPARE(m.find("encoder/bn")->movingVariance.shape(), (Shape{3}));
        QCOMPARE(m.outputs, std::vector<std::string>{"dense"});
    }

    void unsupportedInsideNestedModelsAreListed()
    {
        // Every unsupported class is listed at once, nested ones with their "outer/inner" names.
        const auto config = nlohmann::json::parse(R"({"class_name": "Functional", "config": {"name": "m",
            "layers": [
              {"class_name": "InputLayer", "name": "in", "config": {"name": "in", "batch_input_shape": [null, 4]},
               "inbound_nodes": []},
              {"class_name": "Sequential", "name": "inner", "config": {"name": "inner", "layers": [
                 {"class_name": "InputLayer", "config": {"name": "x", "batch_input_shape": [null, 4]}},
                 {"class_name": "Bar", "config": {"name": "bar"}}]},
               "inbound_nodes": [[["in", 0, 0, {}]]]},
              {"class_name": "Foo", "name": "foo", "config": {"name": "foo"}, "inbound_nodes": [[["inner", 0, 0, {}]]]}],
            "input_layers": [["in", 0, 0]], "output_layers": [["foo", 0, 0]]}})");
        try {
            keras::parseModelConfig(config, "nested.h5");
            QFAIL("unsupported classes accepted");
        } catch (const FormatError& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find("'inner/bar' (Bar)") != std::string::npos, e.what());
            QVERIFY2(msg.find("'foo' (Foo)") != std::string::npos, e.what());
            QVERIFY2(msg.find("2 layers") != std::string::npos, e.what());
        }
    }

    void roundTrips_data()
    {
        QTest::addColumn<QString>("file");
        QTest::newRow("sequential autoencoder") << "k2_conv_autoencoder.h5";
        QTest::newRow("functional merges") << "merges.keras";
    }

    void roundTrips()
    {
        QFETCH(QString, file);
        const auto dir = ::fixtures();
        if (dir.empty())
            QSKIP("python3 with h5py and numpy is not available");
        const ModelSpec m = readModel(dir / file.toStdString());
        const Tensor x = readRef((dir / file.toStdString()).string() + ".ref.h5", "x");
        const Tensor y = Model(m).forward(x);
        const auto tmp = test::tempDir();
        const auto native = tmp / ("vision_" + file.toStdString() + ".circnn.h5");
        writeNativeModel(m, native);
        const ModelSpec fromNative = readModel(native);
        test::compareSpecs(m, fromNative);
        compareVisionFields(m, fromNative);
        QVERIFY(bitIdentical(y, Model(fromNative).forward(x)));
        const auto keras = tmp / ("vision_" + file.toStdString() + ".written.h5");
        writeKerasH5(m, keras);
        const ModelSpec fromKeras = readModel(keras);
        test::compareSpecs(m, fromKeras, /*compareClassNames=*/false);
        compareVisionFields(m, fromKeras);
        QVERIFY(bitIdentical(y, Model(fromKeras).forward(x)));

        // The written file read by the independent loader and numpy forward pass.
        const auto in = tmp / ("vision_in_" + file.toStdString() + ".h5");
        const auto out = tmp / ("vision_out_" + file.toStdString() + ".h5");
        {
            h5::File f = h5::createFile(in.string());
            h5::writeFloatDataset(f, f.id(), "x", x);
        }
        std::filesystem::remove(out);
        QProcess p;
        p.start(test::pythonWithH5py(),
                {QString::fromStdString((test::sourceDir() / "tests/data/keras_h5_forward.py").string()),
                 QString::fromStdString(keras.string()), QString::fromStdString(in.string()),
                 QString::fromStdString(out.string())});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const Tensor want = readRef(out, "y");
        CIRCNN_COMPARE_VECTORS(y.data(), want.data(), std::size_t(y.size()), 2e-5, "written Keras file");
    }
};

QTEST_APPLESS_MAIN(TestVisionFixtures)
#include "TestVisionFixtures.moc"
