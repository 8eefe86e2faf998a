// decideBlockSizes: the one block-size rule. Each outcome on a small CNN, the errors, and that the
// hardware estimate's resolveBlockSizes gives the same k per layer as the rule.

#include <QTest>

#include <algorithm>

#include "common/Error.h"
#include "hw/BlockSizeChoice.h"
#include "model/ArchitectureParser.h"
#include "model/ConversionRules.h"

using namespace circnn;

namespace {

const BlockSizeDecision& find(const std::vector<BlockSizeDecision>& ds, const std::string& layer)
{
    const auto it = std::find_if(ds.begin(), ds.end(), [&](const BlockSizeDecision& d) { return d.layer == layer; });
    if (it == ds.end())
        throw Error("no decision for " + layer);
    return *it;
}

// input 8x8x1 → conv2d_1 (1 → 16) → conv2d_2 (16 → 16) → flatten → dense_1 (1024 → 32) → dense_2 (32 → 4)
ModelSpec cnn()
{
    return parseArchitecture("8x8x1-c16-c16-32-4").model;
}

} // namespace

class TestConversionRules : public QObject {
    Q_OBJECT

private slots:
    void outcomesUnderADefaultK()
    {
        const ModelSpec m = cnn();
        ConversionPlan plan;
        plan.defaultBlockSize = 8;
        const auto ds = decideBlockSizes(m, plan);
        QCOMPARE(ds.size(), std::size_t(4)); // Dense and Conv2D layers only, in order
        QCOMPARE(ds[0].layer, std::string("conv2d_1"));
        QVERIFY(ds[0].outcome == BlockSizeOutcome::ChannelsBelowK); // C_in = 1
        QVERIFY(ds[0].tooSmall() && !ds[0].converts());
        QVERIFY(ds[0].reason.find("C_in = 1") != std::string::npos);
        QVERIFY(ds[1].converts());
        QCOMPARE(ds[1].blockSize, std::int64_t(8));
        QCOMPARE(ds[1].rows, std::int64_t(16));
        QCOMPARE(ds[1].cols, std::int64_t(16));
        QVERIFY(ds[2].converts());
        QCOMPARE(ds[2].cols, std::int64_t(8 * 8 * 16));
        QVERIFY(ds[3].outcome == BlockSizeOutcome::OutputLayer);
        QCOMPARE(ds[3].blockSize, std::int64_t(1));
        // The output layer converts when asked, or when named.
        plan.convertOutputLayer = true;
        QVERIFY(find(decideBlockSizes(m, plan), "dense_2").outcome == BlockSizeOutcome::DimensionBelowK); // 4 outputs
        plan.defaultBlockSize = 4;
        QVERIFY(find(decideBlockSizes(m, plan), "dense_2").converts());
        plan.convertOutputLayer = false;
        plan.perLayer = {{"dense_2", 2}};
        const auto named = find(decideBlockSizes(m, plan), "dense_2");
        QVERIFY(named.converts() && named.explicitK);
        QCOMPARE(named.blockSize, std::int64_t(2));
    }

    void noKAndKOne()
    {
        const ModelSpec m = cnn();
        ConversionPlan plan; // nothing requested
        for (const BlockSizeDecision& d : decideBlockSizes(m, plan))
            QVERIFY(d.outcome == BlockSizeOutcome::NotRequested && d.blockSize == 1);
        plan.perLayer = {{"dense_1", 1}};
        QVERIFY(find(decideBlockSizes(m, plan), "dense_1").outcome == BlockSizeOutcome::DenseRequested);
    }

    void alreadyCirculantLayers()
    {
        ModelSpec m = cnn();
        CirculantWeights cw;
        cw.k = 4;
        m.find("dense_1")->circulant = cw;
        ConversionPlan plan;
        plan.defaultBlockSize = 4;
        const auto same = find(decideBlockSizes(m, plan), "dense_1");
        QVERIFY(same.outcome == BlockSizeOutcome::AlreadyCirculant);
        QVERIFY(same.circulantAfter());
        plan.defaultBlockSize = 8;
        const auto other = find(decideBlockSizes(m, plan), "dense_1");
        QVERIFY(other.outcome == BlockSizeOutcome::Conflict);
        QCOMPARE(other.blockSize, std::int64_t(4)); // keeps its own k
        QVERIFY(other.reason.find("k = 4") != std::string::npos && other.reason.find("k = 8") != std::string::npos);
    }

    void badPlansThrow()
    {
        const ModelSpec m = cnn();
        ConversionPlan plan;
        plan.defaultBlockSize = -1;
        QVERIFY_THROWS_EXCEPTION(ShapeError, decideBlockSizes(m, plan));
        plan.defaultBlockSize = 0;
        for (const auto& bad :
             std::vector<std::map<std::string, std::int64_t>>{{{"nope", 4}}, {{"flatten_1", 4}}, {{"dense_1", 0}}}) {
            plan.perLayer = bad;
            try {
                decideBlockSizes(m, plan);
                QFAIL("accepted a bad plan");
            } catch (const ShapeError& e) {
                QVERIFY2(std::string(e.what()).find(bad.begin()->first) != std::string::npos, e.what());
            }
        }
    }

    void estimatesApplyTheSameRule()
    {
        const ModelSpec m = cnn();
        for (std::int64_t k : {2, 4, 8, 16, 32}) {
            for (bool output : {false, true}) {
                ConversionPlan plan;
                plan.defaultBlockSize = k;
                plan.convertOutputLayer = output;
                std::vector<std::string> warnings;
                std::map<std::string, std::string> notes;
                const auto ks = hw::resolveBlockSizes(m, plan, warnings, notes);
                for (const BlockSizeDecision& d : decideBlockSizes(m, plan)) {
                    QCOMPARE(ks.count(d.layer) ? ks.at(d.layer) : std::int64_t(1), d.blockSize);
                    // Every layer the plan asked for but that stays dense has a note saying why.
                    QCOMPARE(notes.count(d.layer) == 1, d.tooSmall() || d.outcome == BlockSizeOutcome::OutputLayer);
                }
            }
        }
    }

    void outputWeightLayerSkipsTrailingLayers()
    {
        ModelSpec m = parseArchitecture("{\"input\": 8, \"layers\": [{\"dense\": 4}, {\"dropout\": 0.5}]}").model;
        QCOMPARE(outputWeightLayer(m), std::string("dense_1"));
        QCOMPARE(outputWeightLayer(ModelSpec{}), std::string());
    }
};

QTEST_APPLESS_MAIN(TestConversionRules)
#include "TestConversionRules.moc"
