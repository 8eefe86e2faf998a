// A small Transformer described in architecture JSON (model/ArchitectureParser.h): trained from
// scratch by the core train workflow on the project's own sequence task (dense and block-circulant),
// estimated without weights (dense and k = 4), and redrawn as the sweeps' scratch points redraw a
// converted model (analysis/SweepPoint.h, nn/training/WeightInitialiser.h).

#include <QTest>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "TestSupport.h"
#include "WorkflowTestData.h"
#include "analysis/EstimateWorkflow.h"
#include "analysis/SweepPoint.h"
#include "analysis/SweepRunner.h"
#include "hw/PlatformRegistry.h"
#include "io/DatasetFile.h"
#include "io/ModelFile.h"
#include "nn/Model.h"
#include "nn/training/Architecture.h"

using namespace circnn;

namespace {

constexpr std::int64_t kSteps = 16;
constexpr int kVocab = 10;

// The "first-occurrence order" task of scripts/make-sequence-data.py (same rules, two markers):
// a sequence of 8..16 ids (padding 0 after it) holds the markers 1 and 2, each 1 to 3 times,
// among fillers 3..9; the label says which marker appears first. Both markers are always present
// and their counts are drawn independently of the order, so a bag of tokens is at chance (1/2):
// a model has to know which tokens came before which.
std::shared_ptr<const Dataset> firstOccurrence(std::int64_t n, std::uint32_t seed)
{
    auto d = std::make_shared<Dataset>();
    d->images = Tensor({n, kSteps}, 0.0f);
    d->classCount = 2;
    std::mt19937 rng(seed);
    auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    for (std::int64_t i = 0; i < n; ++i) {
        float* row = d->images.data() + i * kSteps;
        const int length = uniform(8, int(kSteps));
        for (int t = 0; t < length; ++t)
            row[t] = float(uniform(3, kVocab - 1));
        const int first = uniform(1, 2), second = 3 - first;
        // First occurrences at p < q, repeats after each marker's first occurrence.
        const int p = uniform(0, length - 2), q = uniform(p + 1, length - 1);
        row[p] = float(first);
        row[q] = float(second);
        for (const auto& [marker, from] : {std::pair{first, p}, std::pair{second, q}})
            for (int r = uniform(1, 3) - 1; r > 0; --r) {
                const int at = uniform(from + 1, length);
                if (at < length && at != p && at != q)
                    row[at] = float(marker);
            }
        d->labels.push_back(first == 1 ? 0 : 1);
    }
    return d;
}

std::string transformer(bool causal)
{
    return std::string(R"({"input": [16], "layers": [{"embedding": 16, "vocab": 10, "mask_zero": true},
        {"transformer": {"heads": 2, "key_dim": 8, "ff": 32, "causal": )") +
           (causal ? "true" : "false") + R"(}}, "global_average_pooling", {"dense": 2}]})";
}

TrainModelResult train(const std::string& description, std::int64_t k)
{
    TrainConfig c;
    c.source = description;
    c.blockSize = k;
    c.trainData = test::inMemory(firstOccurrence(800, 1));
    c.testData = test::inMemory(firstOccurrence(300, 2));
    c.training.epochs = 6;
    c.training.batchSize = 32;
    c.training.optimizer.learningRate = 0.003;
    c.training.seed = 1;
    return trainModel(c);
}

std::vector<const Tensor*> attentionWeights(const LayerSpec& l)
{
    std::vector<const Tensor*> out;
    for (std::size_t p = 0; p < 4; ++p)
        out.push_back(l.attentionCirculant[p] ? &l.attentionCirculant[p]->vectors : nullptr);
    const Tensor* kernels[] = {&l.queryKernel, &l.keyKernel, &l.valueKernel, &l.outputKernel};
    for (std::size_t p = 0; p < 4; ++p)
        if (!out[p])
            out[p] = kernels[p];
    return out;
}

bool sameValues(const Tensor& a, const Tensor& b)
{
    return a.shape() == b.shape() && std::equal(a.data(), a.data() + a.size(), b.data());
}

} // namespace

class TestTransformerTraining : public QObject {
    Q_OBJECT

private slots:
    void causalTransformerLearnsTheOrderTask()
    {
        // Dense and with every projection and feed-forward layer block-circulant at k = 4.
        for (const std::int64_t k : {std::int64_t(1), std::int64_t(4)}) {
            const TrainModelResult r = train(transformer(true), k);
            QVERIFY(r.test.has_value());
            qInfo("k = %lld: test top-1 %.3f (chance 0.5)", static_cast<long long>(k), r.test->top1);
            QVERIFY2(r.test->top1 > 0.85, qPrintable(QString("k = %1: test top-1 %2").arg(k).arg(r.test->top1)));
            const LayerSpec* mha = r.model.find("multi_head_attention_1");
            QVERIFY(mha && mha->useCausalMask);
            QCOMPARE(mha->attentionCirculant[0].has_value(), k > 1);
            QCOMPARE(r.model.find("dense_1")->circulant.has_value(), k > 1);
        }
    }

    void withoutTheCausalMaskItIsABagOfTokens()
    {
        // Control: without positions or a causal mask, attention + mean pooling is invariant to
        // the order of the tokens, and the task's labels are independent of the token counts.
        const TrainModelResult r = train(transformer(false), 1);
        qInfo("without the causal mask: test top-1 %.3f", r.test->top1);
        QVERIFY2(r.test->top1 < 0.7, qPrintable(QString("test top-1 %1").arg(r.test->top1)));
    }

    void estimatesDenseAndBlockCirculant()
    {
        EstimateConfig c;
        c.architecture = transformer(true);
        c.platform = hw::findPlatform("xcku060");
        c.blockSizes = {1, 4};
        const EstimateResult r = estimateModel(c);
        QCOMPARE(r.estimates.size(), std::size_t(2));
        for (const hw::Estimate& e : r.estimates)
            for (const hw::DesignEstimate* d : {&e.dense, &e.circulant}) {
                QVERIFY(std::isfinite(d->latencyS) && d->latencyS > 0);
                QVERIFY(std::isfinite(d->energy.totalPj()) && d->energy.totalPj() > 0);
                QVERIFY(std::isfinite(d->powerW) && d->powerW > 0);
                QVERIFY(d->weightBits > 0);
            }
        QCOMPARE(r.estimates[0].circulant.weightBits, r.estimates[0].dense.weightBits);
        QVERIFY(r.estimates[1].circulant.weightBits < r.estimates[1].dense.weightBits);
        QVERIFY(std::isfinite(r.estimates[1].speedup) && std::isfinite(r.estimates[1].energyEfficiencyGain));
    }

    void scratchPointRedrawsAttentionAndNormalisation()
    {
        // The source: a model with its own weights (here: another seed, and layer norms moved off
        // their initial values as training would), dense and block-circulant.
        for (const std::int64_t k : {std::int64_t(1), std::int64_t(4)}) {
            ArchitectureOptions o;
            o.seed = 11;
            o.blockSize = k;
            ModelSpec source = buildArchitecture(transformer(true), o).model;
            for (LayerSpec& l : source.layers)
                if (l.kind == LayerKind::LayerNormalization) {
                    l.gamma.fill(0.5f);
                    l.beta.fill(0.25f);
                }
            const ModelSpec a = scratchStartingPoint(source, 3);
            const ModelSpec b = scratchStartingPoint(source, 3);
            const ModelSpec c = scratchStartingPoint(source, 4);
            const LayerSpec& mha = *source.find("multi_head_attention_1");
            const auto before = attentionWeights(mha);
            const auto drawn = attentionWeights(*a.find(mha.name));
            const auto again = attentionWeights(*b.find(mha.name));
            const auto other = attentionWeights(*c.find(mha.name));
            for (std::size_t p = 0; p < 4; ++p) {
                QVERIFY(drawn[p]->size() > 0);
                QCOMPARE(drawn[p]->shape(), before[p]->shape()); // the architecture is kept
                QVERIFY2(!sameValues(*drawn[p], *before[p]), "projection kept the source weights");
                QVERIFY(sameValues(*drawn[p], *again[p])); // deterministic for a seed
                QVERIFY(!sameValues(*drawn[p], *other[p]));
                // Glorot uniform with the EinsumDense kernel's fans: (16, 2, 8) → 2·16 and 8·16;
                // (2, 8, 16) → 8·2 and 16·2.
                const double limit = p < 3 ? std::sqrt(6.0 / (32 + 128)) : std::sqrt(6.0 / (16 + 32));
                double largest = 0;
                for (std::int64_t i = 0; i < drawn[p]->size(); ++i)
                    largest = std::max(largest, double(std::abs((*drawn[p])[i])));
                QVERIFY(largest <= limit && largest > 0.5 * limit);
            }
            const LayerSpec& redrawn = *a.find(mha.name);
            for (const Tensor* bias : {&redrawn.queryBias, &redrawn.keyBias, &redrawn.valueBias, &redrawn.outputBias})
                QVERIFY(bias->size() > 0 &&
                        std::all_of(bias->data(), bias->data() + bias->size(), [](float v) { return v == 0; }));
            for (const LayerSpec& l : a.layers)
                if (l.kind == LayerKind::LayerNormalization) {
                    QVERIFY(
                        std::all_of(l.gamma.data(), l.gamma.data() + l.gamma.size(), [](float v) { return v == 1; }));
                    QVERIFY(std::all_of(l.beta.data(), l.beta.data() + l.beta.size(), [](float v) { return v == 0; }));
                }
            // The other weighted layers are redrawn too, with the seed.
            for (const char* name : {"embedding_1", "dense_1", "dense_3"}) {
                const LayerSpec& s = *source.find(name);
                const LayerSpec& d = *a.find(name);
                const Tensor& w = s.kind == LayerKind::Embedding ? s.embeddings
                                  : s.circulant                  ? s.circulant->vectors
                                                                 : s.kernel;
                const Tensor& v = d.kind == LayerKind::Embedding ? d.embeddings
                                  : d.circulant                  ? d.circulant->vectors
                                                                 : d.kernel;
                QVERIFY2(!sameValues(w, v), name);
            }
            // A runnable model.
            const Tensor x = firstOccurrence(4, 9)->images;
            const Tensor y = Model(a).forward(x);
            QCOMPARE(y.shape(), (Shape{4, 2}));
            QVERIFY(std::all_of(y.data(), y.data() + y.size(), [](float v) { return std::isfinite(v); }));
        }
    }

    void sweepScratchPointOnATransformer()
    {
        // A sweep over a trained Transformer file: its k = 4 scratch point converts the model
        // (the attention projections and feed-forward layers block-circulant), redraws it
        // (scratchStartingPoint) and trains it; the project point projects the trained weights.
        const auto dir = test::tempDir() / "transformer_sweep";
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        writeNativeModel(train(transformer(true), 1).model, dir / "transformer.circnn.h5");
        writeDatasetH5(*firstOccurrence(800, 1), dir / "train.h5");
        writeDatasetH5(*firstOccurrence(300, 2), dir / "test.h5");
        SweepConfig c;
        c.models = {(dir / "transformer.circnn.h5").string()};
        c.data = (dir / "test.h5").string();
        c.trainData = (dir / "train.h5").string();
        c.blockSizes = {4};
        c.modes = {AccuracyMode::Project, AccuracyMode::Scratch};
        c.epochs = 8;
        c.learningRate = 0.003;
        c.platforms = {"xcku060"};
        c.timingSamples = 0;
        c.reorderUnits = false;
        const SweepRunResult r = runSweep(c, {});
        QCOMPARE(r.points.size(), std::size_t(2));
        for (const SweepPointResult& p : r.points) {
            qInfo("%s k = 4: top-1 %.3f (dense %.3f)", p.mode.c_str(), p.top1, p.denseTop1);
            QVERIFY2(std::isfinite(p.top1) && p.top1 >= 0 && p.top1 <= 1, qPrintable(QString::fromStdString(p.mode)));
            QVERIFY(p.parameters < p.denseParameters);
            const auto mha = std::find_if(p.layers.begin(), p.layers.end(), [](const SweepLayerResult& l) {
                return l.layer == "multi_head_attention_1";
            });
            QVERIFY(mha != p.layers.end() && mha->converted && mha->blockSize == 4);
        }
        QCOMPARE(r.points[0].mode, std::string("project"));
        QCOMPARE(r.points[1].mode, std::string("scratch"));
        QVERIFY(std::abs(r.points[0].denseTop1 - 1.0) < 0.05); // the trained file
        // Redrawn and trained for 8 epochs, the block-circulant Transformer learns the task again
        // (chance 0.5).
        QVERIFY(r.points[1].top1 > 0.8);
    }

    void buildAndRedrawUseOneRule()
    {
        // Training from scratch and a scratch point draw from the same rules: a freshly built model
        // redrawn with its own seed is the same model.
        ArchitectureOptions o;
        o.seed = 5;
        o.blockSize = 4;
        const ModelSpec built = buildArchitecture(transformer(true), o).model;
        const ModelSpec redrawn = scratchStartingPoint(built, 5);
        for (std::size_t i = 0; i < built.layers.size(); ++i) {
            const auto w = attentionWeights(built.layers[i]);
            const auto v = attentionWeights(redrawn.layers[i]);
            for (std::size_t p = 0; p < 4; ++p)
                QVERIFY(sameValues(*w[p], *v[p]));
            QVERIFY(sameValues(built.layers[i].kernel, redrawn.layers[i].kernel));
            QVERIFY(sameValues(built.layers[i].embeddings, redrawn.layers[i].embeddings));
            if (built.layers[i].circulant)
                QVERIFY(sameValues(built.layers[i].circulant->vectors, redrawn.layers[i].circulant->vectors));
        }
    }
};

QTEST_APPLESS_MAIN(TestTransformerTraining)
#include "TestTransformerTraining.moc"
