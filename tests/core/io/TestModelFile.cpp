// Model files: Keras fixtures written by tests/data/make_keras_fixtures.py (every supported layer,
// activation and file layout) against an independent numpy forward pass; the real Keras models in
// ../shared; native-format and Keras-writer round trips.

#include <QTest>

#include <hdf5.h>

#include <nlohmann/json.hpp>

#include <fstream>

#include "IoTestUtil.h"
#include "TestSupport.h"
#include "analysis/Conversion.h"
#include "common/Error.h"
#include "io/Hdf5.h"
#include "io/ModelFile.h"
#include "nn/Model.h"

using namespace circnn;
using test::bitIdentical;
using test::randomBatch;
using test::readRef;

namespace {
// Fixtures the generator must produce (a missing one fails the test).
const char* const kFixtures[] = {
    "k2_mlp_activations.h5",
    "k20_bare_list.h5",
    "k33_activation_layers.h5",
    "k31_cnn_flatten.h5",
    "k2_cnn_gap.h5",
    "k2_functional.h5",
    "k33_functional.h5",
    "functional_stored.keras",
    "cnn_deflated.keras",
    "tf213_checkpoint_deps.keras",
    "k2_chunked_names.h5",
    "k2_mobilenet_blocks.h5",
    "k31_mobilenet_blocks.h5",
    "mobilenet_blocks.keras",
    "k2_signal_1d.h5",
    "signal_1d.keras",
    // sequence models (tests/data/keras_sequence_fixtures.py)
    "k2_text_lstm_gru.h5",
    "text_lstm_gru.keras",
    "k2_signal_rnn.h5",
    "k33_signal_rnn.h5",
    "k31_masked_rnn.h5",
};

} // namespace

class TestModelFile : public QObject {
    Q_OBJECT

private slots:
    void kerasFixtures_data()
    {
        QTest::addColumn<QString>("file");
        for (const char* f : kFixtures)
            QTest::newRow(f) << QString(f);
    }

    void kerasFixtures()
    {
        QFETCH(QString, file);
        QString why;
        const auto dir = test::kerasFixtures(why);
        if (dir.empty()) {
            if (why.startsWith("python3"))
                QSKIP(qPrintable(why));
            QFAIL(qPrintable(why));
        }
        const auto path = dir / file.toStdString();
        QVERIFY2(std::filesystem::exists(path), "generator did not write the fixture");
        ModelSpec spec;
        try {
            spec = readModel(path);
        } catch (const Error& e) {
            QFAIL(e.what());
        }
        QCOMPARE(spec.provenance.sourceFile, path.string());
        const Tensor x = readRef(path.string() + ".ref.h5", "x");
        const Tensor want = readRef(path.string() + ".ref.h5", "y");
        const Model model(spec);
        const Tensor got = model.forward(x);
        QCOMPARE(got.shape(), want.shape());
        CIRCNN_COMPARE_VECTORS(got.data(), want.data(), std::size_t(got.size()), 2e-5, file.toStdString());
    }

    void chunkedLayerNamesAreConcatenated()
    {
        QString why;
        const auto dir = test::kerasFixtures(why);
        if (dir.empty())
            QSKIP(qPrintable(why));
        const ModelSpec m = readModel(dir / "k2_chunked_names.h5");
        QCOMPARE(m.layers.size(), std::size_t(302)); // input + 300 + output
        // The file really is chunked (otherwise this test proves nothing).
        h5::File f = h5::openFile((dir / "k2_chunked_names.h5").string());
        h5::Handle g = h5::openGroup(f, f.id(), "model_weights");
        QVERIFY(h5::attributeExists(g.id(), "layer_names0"));
        QVERIFY(h5::attributeExists(g.id(), "layer_names1"));
        QVERIFY(!h5::attributeExists(g.id(), "layer_names"));
    }

    void kerasZipUsesClassNumberedGroups()
    {
        // Configured names dense_1/dense_2 are stored as layers/dense and layers/dense_1: reading by
        // configured name would give dense_1 the weights of dense_2 (same shape).
        QString why;
        const auto dir = test::kerasFixtures(why);
        if (dir.empty())
            QSKIP(qPrintable(why));
        const ModelSpec zip = readModel(dir / "functional_stored.keras");
        const ModelSpec h5 = readModel(dir / "k2_functional.h5");
        QVERIFY(zip.find("dense_1")->kernel == h5.find("dense_1")->kernel);
        QVERIFY(zip.find("dense_2")->kernel == h5.find("dense_2")->kernel);
        QVERIFY(!(zip.find("dense_1")->kernel == zip.find("dense_2")->kernel));
    }

    void realModels_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("layers");
        QTest::addColumn<QString>("firstKernel");
        QTest::newRow("keras 2.0.8 mlp") << "mlp_keras2.0.8_jacegem.h5" << 3 << "(784, 64)";
        QTest::newRow("keras 3.3.3 mlp") << "mlp_keras3.3.3_4bumuhammad.h5" << 4 << "(784, 64)";
        QTest::newRow("keras 2.3.1 cnn") << "cnn_keras2.3.1_ikukang.h5" << 9 << "(3, 3, 1, 32)";
        QTest::newRow("keras 3.1.1 cnn h5") << "cnn_keras3.1.1_moonflower2022.h5" << 8 << "(3, 3, 1, 32)";
        QTest::newRow("keras 3.1.1 cnn zip") << "cnn_keras3.1.1_moonflower2022.keras" << 8 << "(3, 3, 1, 32)";
    }

    void realModels()
    {
        CIRCNN_REQUIRE_SHARED();
        QFETCH(QString, file);
        QFETCH(int, layers);
        QFETCH(QString, firstKernel);
        const ModelSpec m = readModel(test::sharedDir() / "models" / file.toStdString());
        QCOMPARE(int(m.layers.size()), layers);
        QCOMPARE(m.layers[0].kind, LayerKind::Input);
        QCOMPARE(QString::fromStdString(shapeToString(m.layers[1].kernel.shape())), firstKernel);
        QCOMPARE(m.layers.back().activation, ActivationKind::Softmax);
        QCOMPARE(m.find(m.outputs[0])->outputShape, Shape{10});
    }

    void zipAndH5OfSameModelAgreeInStructure()
    {
        CIRCNN_REQUIRE_SHARED();
        const ModelSpec a = readModel(test::sharedDir() / "models/cnn_keras3.1.1_moonflower2022.h5");
        const ModelSpec b = readModel(test::sharedDir() / "models/cnn_keras3.1.1_moonflower2022.keras");
        QCOMPARE(a.layers.size(), b.layers.size());
        for (std::size_t i = 0; i < a.layers.size(); ++i) {
            QCOMPARE(a.layers[i].name, b.layers[i].name);
            QCOMPARE(a.layers[i].kernel.shape(), b.layers[i].kernel.shape());
        }
        QCOMPARE(b.provenance.sourceFormat, std::string("keras-zip"));
        QCOMPARE(b.provenance.kerasVersion, std::string("3.1.1"));
    }

    void weightsOnlyFileIsRejected()
    {
        CIRCNN_REQUIRE_SHARED();
        const auto path = test::sharedDir() / "models/mlp512_weightsonly_keras2.2.2_suertang.h5";
        try {
            readModel(path);
            QFAIL("weights-only file was accepted");
        } catch (const FormatError& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find("weights-only file, no architecture") != std::string::npos, e.what());
            QVERIFY2(msg.find(path.string()) != std::string::npos, e.what());
        }
    }

    void detectsFormats()
    {
        const auto dir = test::tempDir();
        writeNativeModel(test::mlpSpec(), dir / "detect.circnn.h5");
        writeKerasH5(test::mlpSpec(), dir / "detect.h5");
        QCOMPARE(detectModelFormat(dir / "detect.circnn.h5"), ModelFormat::Native);
        QCOMPARE(detectModelFormat(dir / "detect.h5"), ModelFormat::KerasH5);
        if (test::haveShared())
            QCOMPARE(detectModelFormat(test::sharedDir() / "models/cnn_keras3.1.1_moonflower2022.keras"),
                     ModelFormat::KerasZip);
    }

    void nativeRoundTripDense_data()
    {
        QTest::addColumn<int>("which");
        QTest::newRow("mlp") << 0;
        QTest::newRow("functional cnn") << 1;
    }

    void nativeRoundTripDense()
    {
        QFETCH(int, which);
        ModelSpec m = which == 0 ? test::mlpSpec(3) : test::branchySpec(5);
        m.provenance.sourceFile = "original.h5";
        m.provenance.sourceFormat = "keras-h5";
        m.provenance.history = {{1, 0.5, 0.8, 0.6, 0.75, 2.5}, {2, 0.25, 0.9, 0.3, 0.85, 2.25}};
        const auto path = test::tempDir() / ("roundtrip_" + std::to_string(which) + ".circnn.h5");
        writeNativeModel(m, path);
        const ModelSpec back = readModel(path);
        test::compareSpecs(m, back);
        QCOMPARE(back.name, m.name);
        QCOMPARE(back.provenance.sourceFile, std::string("original.h5"));
        QCOMPARE(back.provenance.history.size(), std::size_t(2));
        QCOMPARE(back.provenance.history[1].valAccuracy, 0.85);
        QVERIFY(!back.provenance.createdAt.empty());
        const Tensor x = randomBatch(m.layers[0].inputShape, 5, 11);
        QVERIFY(bitIdentical(Model(m).forward(x), Model(back).forward(x)));
    }

    void nativeRoundTripCirculant()
    {
        ConversionRequest request;
        request.defaultBlockSize = 4;
        request.convertOutputLayer = true;
        const ConversionResult converted = convertModel(test::branchySpec(9), request);
        int circulantLayers = 0;
        for (const auto& l : converted.model.layers)
            circulantLayers += l.circulant.has_value();
        QVERIFY(circulantLayers >= 2);
        const auto path = test::tempDir() / "roundtrip_circulant.circnn.h5";
        writeNativeModel(converted.model, path);
        const ModelSpec back = readModel(path);
        ModelSpec expected = converted.model;
        inferShapes(expected);
        test::compareSpecs(expected, back);
        QVERIFY(back.plan.perLayer == converted.model.plan.perLayer);
        const Tensor x = randomBatch({6, 6, 2}, 4, 13);
        QVERIFY(bitIdentical(Model(converted.model).forward(x), Model(back).forward(x)));

        // Also an MLP whose sizes k does not divide.
        const ConversionResult mlp = convertModel(test::mlpSpec(4), request);
        writeNativeModel(mlp.model, path);
        const ModelSpec mlpBack = readModel(path);
        ModelSpec mlpExpected = mlp.model;
        inferShapes(mlpExpected);
        test::compareSpecs(mlpExpected, mlpBack);
    }

    void nativeRejectsNewerMajorVersion()
    {
        const auto path = test::tempDir() / "future.circnn.h5";
        writeNativeModel(test::mlpSpec(), path);
        {
            h5::File f;
            f.name = path.string();
            f.handle = h5::Handle(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
            QVERIFY(f.handle.valid());
            QVERIFY(H5Adelete(f.id(), "format_version_major") >= 0);
            h5::writeIntAttr(f, f.id(), "format_version_major", 2);
        }
        try {
            readModel(path);
            QFAIL("newer major version accepted");
        } catch (const FormatError& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find("newer") != std::string::npos && msg.find("version 2.") != std::string::npos, e.what());
            QVERIFY2(msg.find(path.string()) != std::string::npos, e.what());
        }
    }

    void nativeWriteRefusesInconsistentModel()
    {
        // An inconsistent model is refused and the previous file stays untouched.
        const auto path = test::tempDir() / "atomic.circnn.h5";
        writeNativeModel(test::mlpSpec(1), path);
        ModelSpec bad = test::mlpSpec(2);
        bad.layers[2].kernel = Tensor(Shape{3, 3});
        QVERIFY_THROWS_EXCEPTION(Error, writeNativeModel(bad, path));
        const ModelSpec back = readModel(path);
        test::compareSpecs(test::mlpSpec(1), back);
    }

    void kerasWriterRoundTrip_data()
    {
        QTest::addColumn<int>("which");
        QTest::newRow("sequential mlp") << 0;
        QTest::newRow("functional cnn") << 1;
    }

    void kerasWriterRoundTrip()
    {
        QFETCH(int, which);
        const ModelSpec m = which == 0 ? test::mlpSpec(21) : test::branchySpec(22);
        const auto path = test::tempDir() / ("keras_written_" + std::to_string(which) + ".h5");
        writeKerasH5(m, path);
        const ModelSpec back = readModel(path);
        test::compareSpecs(m, back, /*compareClassNames=*/true);
        QCOMPARE(back.provenance.sourceFormat, std::string("keras-h5"));
        const Tensor x = randomBatch(m.layers[0].inputShape, 3, 23);
        QVERIFY(bitIdentical(Model(m).forward(x), Model(back).forward(x)));

        // The Keras 2 layout: root attributes and <layer>/<layer>/kernel:0 datasets.
        h5::File f = h5::openFile(path.string());
        QVERIFY(h5::readString(f, f.id(), "keras_version", "/").has_value());
        QCOMPARE(*h5::readString(f, f.id(), "backend", "/"), std::string("tensorflow"));
        const auto config = nlohmann::json::parse(*h5::readString(f, f.id(), "model_config", "/"));
        QCOMPARE(QString::fromStdString(config["class_name"].get<std::string>()),
                 which == 0 ? QString("Sequential") : QString("Functional"));
        QVERIFY(h5::linkExists(f.id(), "/model_weights/out/out/kernel:0"));
        h5::Handle out = h5::openGroup(f, f.id(), "/model_weights/out");
        const auto names = h5::readStrings(f, out.id(), "weight_names", "out");
        QVERIFY(names && *names == (std::vector<std::string>{"out/kernel:0", "out/bias:0"}));
    }

    void kerasWriterOutputReadByIndependentLoader_data()
    {
        QTest::addColumn<int>("which");
        QTest::newRow("sequential mlp") << 0;
        QTest::newRow("functional cnn") << 1;
    }

    void kerasWriterOutputReadByIndependentLoader()
    {
        // tests/data/keras_h5_forward.py loads the written file as Keras' legacy loader does and
        // runs the numpy reference forward pass: the file means to Keras what it means here.
        QFETCH(int, which);
        const QString python = test::pythonWithH5py();
        if (python.isEmpty())
            QSKIP("python3 with h5py and numpy is not available");
        const ModelSpec m = which == 0 ? test::mlpSpec(31) : test::branchySpec(32);
        const auto dir = test::tempDir();
        const auto model = dir / ("independent_" + std::to_string(which) + ".h5");
        const auto in = dir / ("independent_in_" + std::to_string(which) + ".h5");
        const auto out = dir / ("independent_out_" + std::to_string(which) + ".h5");
        writeKerasH5(m, model);
        const Tensor x = randomBatch(m.layers[0].inputShape, 4, 33);
        {
            h5::File f = h5::createFile(in.string());
            h5::writeFloatDataset(f, f.id(), "x", x);
        }
        std::filesystem::remove(out);
        QProcess p;
        p.start(python, {QString::fromStdString((test::sourceDir() / "tests/data/keras_h5_forward.py").string()),
                         QString::fromStdString(model.string()), QString::fromStdString(in.string()),
                         QString::fromStdString(out.string())});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const Tensor want = readRef(out, "y");
        const Tensor got = Model(m).forward(x);
        QCOMPARE(got.shape(), want.shape());
        CIRCNN_COMPARE_VECTORS(got.data(), want.data(), std::size_t(got.size()), 2e-5, "written Keras file");
    }

    void kerasWriterChunksLongNameLists()
    {
        ModelSpec m;
        m.name = "long";
        m.layers.push_back(test::inputLayer("in", {4}));
        std::string prev = "in";
        for (int i = 0; i < 300; ++i) {
            const std::string name = "dropout_" + std::to_string(i) + std::string(240, 'y');
            LayerSpec d = test::simpleLayer(name, LayerKind::Dropout, {prev});
            m.layers.push_back(d);
            prev = name;
        }
        m.layers.push_back(test::denseLayer("out", prev, 4, 3, ActivationKind::Softmax, 5));
        m.inputs = {"in"};
        m.outputs = {"out"};
        inferShapes(m);
        const auto path = test::tempDir() / "keras_chunked.h5";
        writeKerasH5(m, path);
        {
            h5::File f = h5::openFile(path.string());
            h5::Handle g = h5::openGroup(f, f.id(), "model_weights");
            QVERIFY(h5::attributeExists(g.id(), "layer_names0"));
            QVERIFY(h5::attributeExists(g.id(), "layer_names1"));
        }
        test::compareSpecs(m, readModel(path));
    }

    void kerasWriterRefusesCirculant()
    {
        ConversionRequest request;
        request.defaultBlockSize = 4;
        const ConversionResult converted = convertModel(test::mlpSpec(), request);
        const auto path = test::tempDir() / "circulant_as_keras.h5";
        std::filesystem::remove(path);
        try {
            writeKerasH5(converted.model, path);
            QFAIL("block-circulant model written as Keras");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("block-circulant") != std::string::npos, e.what());
        }
        QVERIFY(!std::filesystem::exists(path));
    }
};

QTEST_APPLESS_MAIN(TestModelFile)
#include "TestModelFile.moc"
