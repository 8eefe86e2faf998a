// The layer traits table (core/model/LayerTraits.h) is the one place a layer kind is described:
// every kind has a row whose facts agree with the other per-kind tables (Keras codecs, the layer
// factory), class names round-trip, and the weight roles follow the layer's configuration.

#include <QTest>

#include <set>

#include "common/Error.h"
#include "io/KerasLayerCodecs.h"
#include "model/LayerTraits.h"
#include "model/ShapeInference.h"
#include "nn/Layer.h"

using namespace circnn;

class TestLayerTraits : public QObject {
    Q_OBJECT
private slots:
    void everyKindHasOneRowAndCodecAndLayer()
    {
        std::set<LayerKind> seen;
        for (const LayerTraits& t : allLayerTraits()) {
            QVERIFY2(seen.insert(t.kind).second, t.kerasClass);
            QCOMPARE(&layerTraits(t.kind), &t);
            QVERIFY2(t.shape != nullptr, t.kerasClass);
            QCOMPARE(keras::kerasLayerCodec(t.kind).kind, t.kind);
            LayerSpec spec;
            spec.kind = t.kind;
            spec.name = "l";
            if (t.splitOnRead)
                QVERIFY_THROWS_EXCEPTION(Error, nn::createLayer(spec));
            else
                QVERIFY2(nn::createLayer(spec) != nullptr, t.kerasClass);
            // Weighted layers store parameters and say so in their stats rule.
            if (!t.splitOnRead)
                QCOMPARE(t.weightRoles != nullptr, t.stats != nullptr);
            if (t.convertible)
                QVERIFY(t.cost == CostClass::Matmul || t.cost == CostClass::Transposed ||
                        t.cost == CostClass::Recurrent || t.cost == CostClass::Attention);
        }
        // Every enumerator up to the last one has a row (the enum is dense from 0).
        QCOMPARE(seen.size(), static_cast<std::size_t>(LayerKind::MultiHeadAttention) + 1);
    }

    void classNamesRoundTrip()
    {
        for (const LayerTraits& t : allLayerTraits()) {
            QCOMPARE(layerKindFromName(t.kerasClass), std::optional<LayerKind>(t.kind));
            QCOMPARE(std::string(layerKindName(t.kind)), std::string(t.kerasClass));
            for (const char* alias : t.aliases)
                QCOMPARE(layerKindFromName(alias), std::optional<LayerKind>(t.kind));
        }
        QCOMPARE(layerKindFromName("ReLU"), std::optional<LayerKind>(LayerKind::Activation));
        QCOMPARE(layerKindFromName("Convolution2D"), std::optional<LayerKind>(LayerKind::Conv2D));
        QVERIFY(!layerKindFromName("ConvLSTM2D"));
        QCOMPARE(layerKindFromName("LSTM"), std::optional<LayerKind>(LayerKind::LSTM));
        const std::string supported = supportedLayerClasses();
        QVERIFY(supported.find("Conv2D") != std::string::npos);
        QVERIFY(supported.find("LeakyReLU") != std::string::npos);
        QCOMPARE(convertibleLayerClasses(),
                 std::string("Dense, Conv2D, Conv1D, Conv2DTranspose, SimpleRNN, LSTM, GRU and MultiHeadAttention"));
    }

    void weightRolesFollowTheConfiguration()
    {
        LayerSpec attention;
        attention.kind = LayerKind::MultiHeadAttention;
        QCOMPARE(kerasWeightNames(attention, 2),
                 (std::vector<std::string>{"query/kernel", "query/bias", "key/kernel", "key/bias", "value/kernel",
                                           "value/bias", "attention_output/kernel", "attention_output/bias"}));
        attention.useBias = false;
        QCOMPARE(layerWeightRoles(attention),
                 (std::vector<WeightRole>{WeightRole::QueryKernel, WeightRole::KeyKernel, WeightRole::ValueKernel,
                                          WeightRole::OutputKernel}));
        LayerSpec dense;
        dense.kind = LayerKind::Dense;
        QCOMPARE(layerWeightRoles(dense), (std::vector<WeightRole>{WeightRole::Kernel, WeightRole::Bias}));
        dense.useBias = false;
        QCOMPARE(layerWeightRoles(dense), (std::vector<WeightRole>{WeightRole::Kernel}));

        LayerSpec bn;
        bn.kind = LayerKind::BatchNormalization;
        QCOMPARE(layerWeightRoles(bn).size(), std::size_t(4));
        bn.scale = false;
        QCOMPARE(layerWeightRoles(bn),
                 (std::vector<WeightRole>{WeightRole::Beta, WeightRole::MovingMean, WeightRole::MovingVariance}));
        bn.center = false;
        QCOMPARE(layerWeightRoles(bn), (std::vector<WeightRole>{WeightRole::MovingMean, WeightRole::MovingVariance}));

        // Keras 3 names a DepthwiseConv2D's kernel "kernel", Keras 2 "depthwise_kernel".
        LayerSpec dw;
        dw.kind = LayerKind::DepthwiseConv2D;
        QCOMPARE(kerasWeightNames(dw, 2), (std::vector<std::string>{"depthwise_kernel", "bias"}));
        QCOMPARE(kerasWeightNames(dw, 3), (std::vector<std::string>{"kernel", "bias"}));
        LayerSpec sep;
        sep.kind = LayerKind::SeparableConv2D;
        QCOMPARE(kerasWeightNames(sep, 3), (std::vector<std::string>{"depthwise_kernel", "pointwise_kernel", "bias"}));

        LayerSpec pool;
        pool.kind = LayerKind::MaxPooling2D;
        QVERIFY(layerWeightRoles(pool).empty());

        // LayerNormalization: gamma before beta under the same names in Keras 2 and 3.
        LayerSpec ln;
        ln.kind = LayerKind::LayerNormalization;
        QCOMPARE(kerasWeightNames(ln, 2), (std::vector<std::string>{"gamma", "beta"}));
        QCOMPARE(kerasWeightNames(ln, 3), (std::vector<std::string>{"gamma", "beta"}));
        ln.scale = false;
        QCOMPARE(layerWeightRoles(ln), (std::vector<WeightRole>{WeightRole::Beta}));
        ln.center = false;
        QVERIFY(layerWeightRoles(ln).empty());
    }

    void weightRoleTableMapsNamesToMembers()
    {
        LayerSpec l;
        for (const WeightRoleInfo& r : weightRoleTable()) {
            QCOMPARE(weightRoleFromName(r.name), std::optional<WeightRole>(r.role));
            QCOMPARE(std::string(weightRoleName(r.role)), std::string(r.name));
            QCOMPARE(&weightTensor(l, r.role), &(l.*r.member));
        }
        QVERIFY(!weightRoleFromName("depthwise_kernel_x"));
        weightTensor(l, WeightRole::MovingVariance) = Tensor({3}, 1.0f);
        QCOMPARE(l.movingVariance.size(), std::int64_t(3));
    }

    // The input-count columns are enforced by inferShapes with messages naming the layer.
    void kerasNameStemsFollowKerasSnakeCase()
    {
        QCOMPARE(kerasNameStem(LayerKind::Dense), std::string("dense"));
        QCOMPARE(kerasNameStem(LayerKind::Conv2D), std::string("conv2d"));
        QCOMPARE(kerasNameStem(LayerKind::MaxPooling2D), std::string("max_pooling2d"));
        QCOMPARE(kerasNameStem(LayerKind::GlobalAveragePooling2D), std::string("global_average_pooling2d"));
        QCOMPARE(kerasNameStem(LayerKind::Conv2DTranspose), std::string("conv2d_transpose"));
        QCOMPARE(kerasNameStem(LayerKind::SimpleRNN), std::string("simple_rnn"));
        QCOMPARE(kerasNameStem(LayerKind::LSTM), std::string("lstm"));
        QCOMPARE(kerasNameStem(LayerKind::BatchNormalization), std::string("batch_normalization"));
        QCOMPARE(kerasNameStem(LayerKind::LayerNormalization), std::string("layer_normalization"));
    }

    void recurrentFactsLiveInTheTable()
    {
        QCOMPARE(layerTraits(LayerKind::SimpleRNN).recurrentGates, 1);
        QCOMPARE(layerTraits(LayerKind::LSTM).recurrentGates, 4);
        QCOMPARE(layerTraits(LayerKind::GRU).recurrentGates, 3);
        for (const LayerTraits& t : allLayerTraits()) {
            // Exactly the recurrent layers have gates, and they are the recurrent cost class.
            QCOMPARE(t.recurrentGates > 0, t.cost == CostClass::Recurrent);
            if (t.recurrentGates > 0)
                QVERIFY2(t.gateArithmetic.activations >= t.recurrentGates, t.kerasClass);
        }
        QVERIFY(layerTraits(LayerKind::Dense).passesSequenceMask);
        QVERIFY(!layerTraits(LayerKind::Flatten).passesSequenceMask);
        QVERIFY(layerTraits(LayerKind::LayerNormalization).passesSequenceMask);
    }

    void inputCountsAreChecked()
    {
        ModelSpec m;
        m.name = "m";
        LayerSpec in;
        in.kind = LayerKind::Input;
        in.name = "in";
        in.inputShape = {4};
        LayerSpec add;
        add.kind = LayerKind::Add;
        add.name = "add";
        add.inputs = {"in"};
        m.layers = {in, add};
        try {
            inferShapes(m);
            QFAIL("Add with one input accepted");
        } catch (const ShapeError& e) {
            QVERIFY2(std::string(e.what()).find("'add'") != std::string::npos, e.what());
        }
        m.layers[1].inputs = {"in", "in"};
        inferShapes(m);
        QCOMPARE(m.layers[1].outputShape, (Shape{4}));
    }
};

QTEST_APPLESS_MAIN(TestLayerTraits)
#include "TestLayerTraits.moc"
