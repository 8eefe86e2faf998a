#include "analysis/SweepPoint.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "analysis/ConvertWorkflow.h"
#include "analysis/EstimateWorkflow.h"
#include "analysis/EvaluateWorkflow.h"
#include "analysis/FinetuneWorkflow.h"
#include "analysis/TrainWorkflow.h"
#include "common/Error.h"
#include "hw/PlatformRegistry.h"
#include "model/LayerTraits.h"
#include "model/ShapeInference.h"
#include "nn/training/WeightInitialiser.h"

namespace circnn {

namespace {

using Clock = std::chrono::steady_clock;

// Points computed concurrently must not disturb each other's timing: another point planning FFTs
// holds the plan cache's lock and makes a timed forward pass wait. Computing is "shared" (any
// number of points at once), timing is "exclusive" (nothing else runs). Exclusive requests are
// served before new shared ones (no starvation); a thread never holds both.
class TimingGate {
public:
    static TimingGate& instance()
    {
        static TimingGate gate;
        return gate;
    }
    void lockShared()
    {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [&] { return m_exclusiveWaiting == 0 && !m_exclusive; });
        ++m_shared;
    }
    void unlockShared()
    {
        std::lock_guard lock(m_mutex);
        --m_shared;
        m_cv.notify_all();
    }
    void lock()
    {
        std::unique_lock lock(m_mutex);
        ++m_exclusiveWaiting;
        m_cv.wait(lock, [&] { return m_shared == 0 && !m_exclusive; });
        --m_exclusiveWaiting;
        m_exclusive = true;
    }
    void unlock()
    {
        std::lock_guard lock(m_mutex);
        m_exclusive = false;
        m_cv.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    int m_shared = 0, m_exclusiveWaiting = 0;
    bool m_exclusive = false;
};

struct SharedPhase {
    SharedPhase() { TimingGate::instance().lockShared(); }
    ~SharedPhase() { TimingGate::instance().unlockShared(); }
    SharedPhase(const SharedPhase&) = delete;
    SharedPhase& operator=(const SharedPhase&) = delete;
};

double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Classifiers read labels; reconstruction / regression models only 0/1 anomaly labels when asked
// (or named by a labels file), regression targets from the targets key.
DataSource sweepData(const SweepConfig& config, const std::string& path, const std::string& labels, std::int64_t limit,
                     Task task, bool anomalyLabels)
{
    DataSource d;
    d.path = path;
    d.options.integerValues = config.integerValues;
    if (!labels.empty())
        d.options.labelsPath = labels;
    d.options.limit = limit;
    if (task != Task::Classify)
        d.options.readLabels = anomalyLabels;
    if (task == Task::Regress)
        d.options.targetsKey = config.targetsKey;
    return d;
}

ModelSource inMemory(const std::shared_ptr<const ModelSpec>& spec, const std::string& label)
{
    return {label, spec};
}

DataSource inMemory(const std::shared_ptr<const Dataset>& data)
{
    return {{}, {}, data};
}

} // namespace

ModelSpec scratchStartingPoint(ModelSpec converted, std::uint32_t seed)
{
    initialiseWeights(converted, seed);
    return converted;
}

std::vector<hw::Platform> resolveSweepPlatforms(const SweepConfig& config)
{
    std::vector<hw::Platform> out;
    for (const std::string& name : config.platforms) {
        if (name == "all") {
            for (const hw::Platform& p : hw::builtinPlatforms())
                out.push_back(p);
        } else {
            out.push_back(hw::findPlatform(name));
        }
    }
    return out;
}

SweepModelContext prepareSweepModel(const SweepConfig& config, std::size_t modelIndex)
{
    SweepModelContext c;
    c.file = config.models.at(modelIndex);
    c.spec = loadModelSource(ModelSource::file(c.file));
    c.dense = std::make_unique<Model>(*c.spec);
    c.denseParameters = modelStats(*c.spec).parameters;
    c.task = config.task == Task::Auto ? detectTask(*c.dense) : config.task;
    c.eval =
        loadDataSource(sweepData(config, config.data, config.labels, config.evalLimit, c.task, config.anomalyLabels),
                       c.dense->inputShape());
    if (std::any_of(config.modes.begin(), config.modes.end(), modeNeedsTrainingData))
        c.train = loadDataSource(
            sweepData(config, config.trainData, config.trainLabels, config.trainLimit, c.task, /*anomalyLabels=*/false),
            c.dense->inputShape());
    EvaluateConfig e;
    e.model = inMemory(c.spec, c.file);
    e.data = inMemory(c.eval);
    e.task = c.task;
    c.denseEval = evaluateModel(e).evaluation;
    return c;
}

SweepTiming measureSweepTiming(const Model& dense, const Model& circulant, const Dataset& data, std::int64_t samples)
{
    SweepTiming t;
    samples = std::min(samples, data.count());
    t.samples = samples;
    if (samples <= 0)
        return t;
    // Model::forward runs a batch of up to 32 samples on the calling thread (one chunk).
    auto timeModel = [&](const Model& m, double& latencyMs, double& throughput) {
        const std::vector<std::int64_t> first{0};
        m.forward(selectSamples(data, first).images); // warm-up (plans, caches)
        const std::int64_t single = std::min<std::int64_t>(samples, 64);
        std::vector<Tensor> ones;
        for (std::int64_t i = 0; i < single; ++i)
            ones.push_back(selectSamples(data, {i}).images);
        std::vector<Tensor> batches;
        for (std::int64_t b = 0; b < samples; b += 32) {
            std::vector<std::int64_t> idx;
            for (std::int64_t i = b; i < std::min(samples, b + 32); ++i)
                idx.push_back(i);
            batches.push_back(selectSamples(data, idx).images);
        }
        // Warm-up: FFT plans depend on the batch size; make them (and fill caches) before timing.
        m.forward(ones.front());
        m.forward(batches.front());
        m.forward(batches.back());
        // Median of the single-sample times and the best of three batched passes: robust against
        // other processes taking the core for a moment.
        std::vector<double> times;
        for (const Tensor& x : ones) {
            const auto t0 = Clock::now();
            m.forward(x);
            times.push_back(secondsSince(t0));
        }
        std::nth_element(times.begin(), times.begin() + std::ptrdiff_t(times.size() / 2), times.end());
        latencyMs = 1e3 * times[times.size() / 2];
        double best = INFINITY;
        for (int repeat = 0; repeat < 3; ++repeat) {
            const auto t0 = Clock::now();
            for (const Tensor& x : batches)
                m.forward(x);
            best = std::min(best, secondsSince(t0));
        }
        throughput = best > 0 ? static_cast<double>(samples) / best : 0;
    };
    timeModel(dense, t.denseLatencyMs, t.denseThroughput);
    timeModel(circulant, t.latencyMs, t.throughput);
    return t;
}

SweepPointResult computeSweepPoint(const SweepConfig& config, const std::string& configHash,
                                   const SweepModelContext& context, const std::vector<hw::Platform>& platforms,
                                   const SweepPointSpec& point, const std::function<void(const std::string&)>& step,
                                   const std::function<bool()>& cancel)
{
    const auto t0 = Clock::now();
    const ProgressFn progress = [&](std::size_t, std::size_t) { return !(cancel && cancel()); };
    const PhaseFn phase = [&](const std::string& s) {
        if (cancel && cancel())
            throw Cancelled();
        if (step)
            step(s);
    };
    std::optional<SharedPhase> computing;
    computing.emplace();
    SweepPointResult r;
    r.index = point.index;
    r.id = point.id;
    r.configHash = configHash;
    r.model = context.file;
    r.modelIndex = point.modelIndex;
    r.mode = accuracyModeName(point.mode);
    r.k = point.k;
    r.requestedBlocks = point.layerBlocks;
    r.sensitivityLayer = point.sensitivityLayer;
    const bool trains = point.mode == AccuracyMode::Finetune || point.mode == AccuracyMode::Scratch;
    r.epochs = trains ? config.epochs : 0;
    const ModelSource source = inMemory(context.spec, context.file);
    const ConversionRequest request = sweepConversionRequest(config, point);

    // The accuracy mode: a workflow call each.
    ModelSpec result;
    std::vector<LayerConversion> layers;
    if (point.mode == AccuracyMode::Finetune) {
        FinetuneConfig f;
        f.model = source;
        f.trainData = inMemory(context.train);
        static_cast<ConversionPlan&>(f.conversion) = request;
        f.conversion.reorderUnits = request.reorderUnits;
        f.conversion.reorderSeed = request.reorderSeed;
        f.calibrationSamples = config.calibration;
        f.task = context.task;
        f.training.epochs = config.epochs;
        f.training.seed = config.seed;
        if (config.learningRate > 0) // else the recipe's rate
            f.training.optimizer.learningRate = config.learningRate;
        f.callbacks.progress = progress;
        f.callbacks.onPhase = phase;
        FinetuneResult fr = finetuneModel(f);
        result = std::move(fr.model);
        layers = std::move(fr.layers);
        r.warnings = std::move(fr.warnings);
    } else {
        ConvertConfig c;
        c.model = source;
        c.conversion = request;
        if (point.mode == AccuracyMode::DataAware) // scratch: the Frobenius projection, for its residuals
            c.calibration = inMemory(context.train);
        c.calibrationSamples = config.calibration;
        c.progress = progress;
        c.onPhase = phase;
        ConvertResult cr = convertModel(c);
        result = std::move(cr.conversion.model);
        layers = std::move(cr.conversion.layers);
        r.warnings = std::move(cr.conversion.warnings);
        if (point.mode == AccuracyMode::Scratch) {
            // The converted architecture from a seeded random start, trained for `epochs`.
            TrainConfig t;
            t.initialModel = ModelSource::memory(scratchStartingPoint(std::move(result), config.seed), context.file);
            t.trainData = inMemory(context.train);
            t.training.epochs = config.epochs;
            t.training.seed = config.seed;
            if (config.learningRate > 0) // else TrainOptions' (Adam 0.001)
                t.training.optimizer.learningRate = config.learningRate;
            t.training.task = context.task;
            t.callbacks.progress = progress;
            t.callbacks.onPhase = phase;
            TrainModelResult tr = trainModel(t);
            result = std::move(tr.model);
            r.warnings.insert(r.warnings.end(), tr.warnings.begin(), tr.warnings.end());
        }
    }

    phase("evaluating");
    EvaluateConfig e;
    e.model = ModelSource::memory(result, context.file);
    e.data = inMemory(context.eval);
    e.progress = progress;
    e.task = context.task;
    const Evaluation ev = evaluateModel(e).evaluation;
    r.evalCount = ev.count;
    r.task = taskName(ev.task);
    if (ev.task == Task::Classify) {
        r.top1 = ev.top1;
        r.top5 = ev.top5;
        r.denseTop1 = context.denseEval.top1;
        r.denseTop5 = context.denseEval.top5;
        // Agreement as compareModels defines it (same top-1 class), from the predictions at hand.
        std::int64_t same = 0;
        for (std::size_t i = 0; i < ev.predictions.size() && i < context.denseEval.predictions.size(); ++i)
            same += ev.predictions[i] == context.denseEval.predictions[i] ? 1 : 0;
        r.agreement = ev.count > 0 ? static_cast<double>(same) / static_cast<double>(ev.count) : 0;
    } else {
        const ErrorMetrics& dense = context.denseEval.errors;
        r.errors = {ev.errors.meanSquaredError, ev.errors.meanAbsoluteError,
                    dense.meanSquaredError,     dense.meanAbsoluteError,
                    ev.errors.rocAuc,           dense.rocAuc};
    }

    ModelSpec shaped = result;
    inferShapes(shaped, false);
    r.parameters = modelStats(shaped).parameters;
    r.denseParameters = context.denseParameters;
    r.compression = r.parameters > 0 ? static_cast<double>(r.denseParameters) / static_cast<double>(r.parameters) : 1;
    for (const LayerConversion& l : layers)
        r.layers.push_back({l.layer, l.kind, l.blockSize, l.converted, l.reason, l.parametersBefore,
                            l.converted ? l.parametersAfter : l.parametersBefore, l.converted ? l.compression : 1.0,
                            l.converted ? l.relativeResidual : 0.0});

    phase("timing");
    const Model circulant(result);
    computing.reset();
    {
        std::lock_guard exclusive(TimingGate::instance());
        r.timing = measureSweepTiming(*context.dense, circulant, *context.eval, config.timingSamples);
    }
    computing.emplace();

    phase("estimating");
    EstimateConfig est;
    est.model = ModelSource::memory(std::move(result), context.file);
    est.precision = hw::parsePrecision(config.precision);
    est.batch = config.batch;
    for (const hw::Platform& platform : platforms) {
        est.platform = platform;
        const hw::Estimate e = estimateModel(est).estimates.at(0);
        SweepPlatformResult h;
        h.platform = platform.name;
        h.latencyS = e.circulant.latencyS;
        h.denseLatencyS = e.dense.latencyS;
        h.framesPerSecond = e.circulant.framesPerSecond;
        h.denseFramesPerSecond = e.dense.framesPerSecond;
        h.energyPjPerFrame = e.circulant.energy.totalPj();
        h.denseEnergyPjPerFrame = e.dense.energy.totalPj();
        h.weightBits = e.circulant.weightBits;
        h.multipliers = e.circulant.multipliers;
        h.onchipMemoryUtilisation = e.circulant.onchipMemoryUtilisation;
        h.computeUtilisation = e.circulant.computeUtilisation;
        h.weightsOnChip = e.circulant.allWeightsOnChip;
        h.bound = hw::boundName(e.circulant.bound);
        r.platforms.push_back(h);
    }
    r.seconds = secondsSince(t0);
    return r;
}

} // namespace circnn
