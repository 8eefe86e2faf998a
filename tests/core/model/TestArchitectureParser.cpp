// parseArchitecture: the one parser for architecture descriptions (shorthand and JSON), used by
// training from scratch and by hardware estimates of a bare width list.

#include <QTest>

#include "common/Error.h"
#include "model/ArchitectureParser.h"
#include "model/ShapeInference.h"

using namespace circnn;

class TestArchitectureParser : public QObject {
    Q_OBJECT

private slots:
    void widthListAsEstimatesReadIt()
    {
        // AlexNet's fully connected part: fc1, fc2 (relu), fc3 (softmax); no weights.
        const ModelSpec m = parseArchitecture("9216-4096-4096-1000", LayerNaming::Numbered).model;
        QCOMPARE(m.layers.size(), std::size_t(4));
        QCOMPARE(m.layers[1].name, std::string("fc1"));
        QCOMPARE(m.layers[3].name, std::string("fc3"));
        QCOMPARE(m.layers[1].units, std::int64_t(4096));
        QVERIFY(m.layers[1].activation == ActivationKind::Relu);
        QVERIFY(m.layers[3].activation == ActivationKind::Softmax);
        QCOMPARE(m.layers[3].outputShape, Shape{1000});
        QVERIFY(m.layers[1].kernel.empty());
        // 9216·4096 + 4096·4096 + 4096·1000 = 58,621,952 MACs.
        QCOMPARE(modelStats(m).macs, std::int64_t(58621952));
        QCOMPARE(m.provenance.sourceFormat, std::string("spec"));
    }

    void cnnShorthand()
    {
        const ParsedArchitecture a = parseArchitecture("28x28x1-c16-p2-c32k5-p2-64-10");
        const ModelSpec& m = a.model;
        QCOMPARE(m.name, std::string("cnn"));
        QVERIFY(a.plan == ConversionPlan{});
        // input, conv, pool, conv, pool, flatten (inserted), dense, dense
        QCOMPARE(m.layers.size(), std::size_t(8));
        QCOMPARE(m.find("conv2d_2")->kernelH, std::int64_t(5));
        QCOMPARE(m.find("conv2d_2")->outputShape, (Shape{14, 14, 32}));
        QVERIFY(m.find("flatten_1") != nullptr);
        QCOMPARE(m.find("dense_1")->outputShape, Shape{64});
        QVERIFY(m.find("dense_2")->activation == ActivationKind::Softmax);
    }

    void jsonWithBlockSizes()
    {
        const ParsedArchitecture a = parseArchitecture(
            R"({"name": "n", "input": [8, 8, 2], "k": 4, "layers": [{"conv": 8, "padding": "valid"},
                {"avgpool": 2}, "flatten", {"dropout": 0.5}, {"dense": 16, "k": 2, "activation": "tanh",
                "bias": false}, {"dense": 3}]})");
        QCOMPARE(a.model.name, std::string("n"));
        QCOMPARE(a.plan.defaultBlockSize, std::int64_t(4));
        QCOMPARE(a.plan.perLayer.at("dense_1"), std::int64_t(2));
        QCOMPARE(a.model.find("conv2d_1")->outputShape, (Shape{6, 6, 8}));
        QVERIFY(a.model.find("dense_1")->activation == ActivationKind::Tanh);
        QVERIFY(!a.model.find("dense_1")->useBias);
        QCOMPARE(a.model.find("dropout_1")->rate, 0.5f);
    }

    void errorsNameTheToken_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("needle");
        QTest::newRow("letter") << "784-x-10"
                                << "'x'";
        QTest::newRow("only input") << "784"
                                    << "at least";
        QTest::newRow("zero") << "784-0-10"
                              << "positive";
        QTest::newRow("empty token") << "12--4"
                                     << "empty token";
        QTest::newRow("conv on flat") << "784-c8-10"
                                      << "image-shaped";
        QTest::newRow("bad json") << "{\"input\": [4"
                                  << "not valid JSON";
        QTest::newRow("conv last") << "8x8x1-c4"
                                   << "last weighted layer";
    }
    void errorsNameTheToken()
    {
        QFETCH(QString, text);
        QFETCH(QString, needle);
        try {
            parseArchitecture(text.toStdString());
            QFAIL("no error");
        } catch (const ShapeError& e) {
            QVERIFY2(std::string(e.what()).find(needle.toStdString()) != std::string::npos, e.what());
        }
    }

    void shorthandDetection()
    {
        QVERIFY(isArchitectureShorthand("9216-4096-4096-1000"));
        QVERIFY(isArchitectureShorthand("28x28x1-c16-p2-10"));
        QVERIFY(!isArchitectureShorthand("model.h5"));
        QVERIFY(!isArchitectureShorthand("my-model.h5"));
        QVERIFY(!isArchitectureShorthand("12"));
    }
};

QTEST_APPLESS_MAIN(TestArchitectureParser)
#include "TestArchitectureParser.moc"
