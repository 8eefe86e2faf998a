// parseArchitecture: the one parser for architecture descriptions (shorthand and JSON), used by
// training from scratch and by hardware estimates of a bare width list.

#include <QTest>

#include <map>

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

    void transformerBlockExpands()
    {
        // {"transformer": ...}: MHA(x, x) → Add(x) → LayerNorm → Dense(ff, relu) → Dense(features)
        // → Add → LayerNorm, all at the entry's k; then the masked mean over the steps.
        const ParsedArchitecture a = parseArchitecture(
            R"({"input": [12], "layers": [{"embedding": 16, "vocab": 20, "mask_zero": true},
                {"transformer": {"heads": 2, "key_dim": 8, "ff": 32, "causal": true, "epsilon": 1e-6}, "k": 4},
                "global_average_pooling", {"dense": 3}]})");
        const ModelSpec& m = a.model;
        QCOMPARE(m.name, std::string("transformer"));
        std::vector<std::string> names;
        for (const LayerSpec& l : m.layers)
            names.push_back(l.name);
        QCOMPARE(names, (std::vector<std::string>{"input", "embedding_1", "multi_head_attention_1", "add_1",
                                                  "layer_normalization_1", "dense_1", "dense_2", "add_2",
                                                  "layer_normalization_2", "global_average_pooling1d_1", "dense_3"}));
        const LayerSpec& mha = *m.find("multi_head_attention_1");
        QCOMPARE(mha.inputs, (std::vector<std::string>{"embedding_1", "embedding_1"}));
        QVERIFY(mha.numHeads == 2 && mha.keyDim == 8 && mha.valueDim == 8 && mha.units == 0 && mha.useCausalMask);
        QCOMPARE(mha.outputShape, (Shape{12, 16}));
        QCOMPARE(m.find("add_1")->inputs, (std::vector<std::string>{"embedding_1", "multi_head_attention_1"}));
        QCOMPARE(m.find("add_2")->inputs, (std::vector<std::string>{"layer_normalization_1", "dense_2"}));
        QCOMPARE(m.find("layer_normalization_1")->axes, (std::vector<std::int64_t>{-1}));
        QCOMPARE(m.find("layer_normalization_2")->epsilon, 1e-6f);
        QCOMPARE(m.find("dense_1")->outputShape, (Shape{12, 32}));
        QVERIFY(m.find("dense_1")->activation == ActivationKind::Relu);
        QCOMPARE(m.find("dense_2")->outputShape, (Shape{12, 16})); // back to the block's features
        QVERIFY(m.find("dense_2")->activation == ActivationKind::Linear);
        QCOMPARE(m.find("global_average_pooling1d_1")->outputShape, Shape{16});
        QVERIFY(m.find("dense_3")->activation == ActivationKind::Softmax);
        QCOMPARE(a.plan.perLayer,
                 (std::map<std::string, std::int64_t>{{"multi_head_attention_1", 4}, {"dense_1", 4}, {"dense_2", 4}}));
        // Self-attention: 4 projections of 16×16 (2 heads × 8) with biases; T·S·H·(d_k + d_v) for the
        // scores and the weighted sum (12·12·2·16 = 4,608) — the estimator's costs are finite.
        QVERIFY(modelStats(m).macs > 0);
    }

    void attentionResidualAndNormEntries()
    {
        // The same block written out of its parts; the options may also stand beside the key.
        const ParsedArchitecture a = parseArchitecture(
            R"({"input": [10, 6], "layers": [
                {"residual": [{"attention": 3, "key_dim": 4, "value_dim": 5, "bias": false}, {"dropout": 0.1}]},
                "layer_norm", {"residual": [{"dense": 12}, {"dense": 6, "activation": "linear"}]},
                {"layer_norm": {"epsilon": 0.01}}, {"attention": {"heads": 1, "key_dim": 2, "output_dim": 4}},
                "global_max_pooling", {"dense": 2}]})");
        const ModelSpec& m = a.model;
        const LayerSpec& first = *m.find("multi_head_attention_1");
        QVERIFY(first.numHeads == 3 && first.keyDim == 4 && first.valueDim == 5 && !first.useBias &&
                !first.useCausalMask);
        QCOMPARE(m.find("add_1")->inputs, (std::vector<std::string>{"input", "dropout_1"}));
        QCOMPARE(m.find("add_2")->inputs, (std::vector<std::string>{"layer_normalization_1", "dense_2"}));
        QCOMPARE(m.find("layer_normalization_2")->epsilon, 0.01f);
        QCOMPARE(m.find("multi_head_attention_2")->outputShape, (Shape{10, 4})); // output_dim
        QCOMPARE(m.find("global_max_pooling1d_1")->outputShape, Shape{4});
        QVERIFY(a.plan.perLayer.empty());
        // Global pooling over an image is the 2-D layer.
        const ModelSpec img =
            parseArchitecture(
                R"({"input": [8, 8, 1], "layers": [{"conv": 4}, "global_average_pooling", {"dense": 2}]})")
                .model;
        QCOMPARE(img.layers[2].kind, LayerKind::GlobalAveragePooling2D);
        QCOMPARE(img.layers[2].outputShape, Shape{4});
    }

    void attentionErrors_data()
    {
        QTest::addColumn<QString>("layers");
        QTest::addColumn<QString>("needle");
        const QString emb = R"({"embedding": 8, "vocab": 10}, )";
        QTest::newRow("zero heads")
            << emb + R"({"attention": {"heads": 0, "key_dim": 4}}, "global_average_pooling", {"dense": 2})"
            << "layer 1 \"heads\": expected a positive integer";
        QTest::newRow("absurd key_dim") << emb + R"({"attention": 2, "key_dim": 100000000}, {"dense": 2})"
                                        << "layer 1 \"key_dim\": 100000000 is too large";
        QTest::newRow("no key_dim") << emb + R"({"attention": 2}, {"dense": 2})"
                                    << "needs \"key_dim\"";
        QTest::newRow("no heads") << emb + R"({"attention": {"key_dim": 4}}, {"dense": 2})"
                                  << "needs \"heads\"";
        QTest::newRow("misspelt option") << emb + R"({"attention": 2, "key_dim": 4, "casual": true}, {"dense": 2})"
                                         << "unknown option \"casual\"";
        QTest::newRow("option beside the object")
            << emb + R"({"attention": {"heads": 2, "key_dim": 4}, "causal": true}, {"dense": 2})"
            << "unknown option \"causal\" beside attention";
        QTest::newRow("causal not a flag") << emb + R"({"attention": 2, "key_dim": 4, "causal": 1}, {"dense": 2})"
                                           << "\"causal\" must be true or false";
        QTest::newRow("attention on flat input")
            << R"({"attention": 2, "key_dim": 4}, {"dense": 2})"
            << "layer 0: attention needs a sequence (steps, features), found (12,)";
        QTest::newRow("attention after pooling")
            << emb + R"("global_average_pooling", {"attention": 2, "key_dim": 4}, {"dense": 2})"
            << "layer 2: attention needs a sequence";
        QTest::newRow("residual shape") << emb +
                                               R"({"residual": [{"dense": 5}]}, "global_average_pooling", {"dense": 2})"
                                        << "layer 1 (residual): the body maps (12, 8) to (12, 5)";
        QTest::newRow("empty residual") << emb + R"({"residual": []}, {"dense": 2})"
                                        << "non-empty list";
        QTest::newRow("bad residual entry") << emb + R"({"residual": [{"dense": 8}, {"nope": 1}]}, {"dense": 2})"
                                            << "layer 1 (residual) entry 1: expected one of";
        QTest::newRow("transformer without ff") << emb + R"({"transformer": {"heads": 2, "key_dim": 4}}, {"dense": 2})"
                                                << "needs \"ff\"";
        QTest::newRow("transformer last") << emb + R"({"transformer": {"heads": 2, "key_dim": 4, "ff": 8}})"
                                          << "last weighted layer";
        QTest::newRow("transformer dropout")
            << emb + R"({"transformer": {"heads": 2, "key_dim": 4, "ff": 8, "dropout": 1}}, {"dense": 2})"
            << "dropout rate";
        QTest::newRow("layer_norm value") << emb + R"({"layer_norm": 3}, {"dense": 2})"
                                          << "\"layer_norm\" takes true";
        QTest::newRow("layer_norm epsilon") << emb + R"({"layer_norm": {"epsilon": -1}}, {"dense": 2})"
                                            << "\"epsilon\" must be a number";
        QTest::newRow("pooling flat") << R"("global_average_pooling", {"dense": 2})"
                                      << "global pooling needs a sequence";
        QTest::newRow("unknown name") << emb + R"("layernorm", {"dense": 2})"
                                      << "unknown layer \"layernorm\"";
    }
    void attentionErrors()
    {
        QFETCH(QString, layers);
        QFETCH(QString, needle);
        const std::string text = R"({"input": [12], "layers": [)" + layers.toStdString() + "]}";
        try {
            parseArchitecture(text);
            QFAIL(("no error for " + text).c_str());
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
