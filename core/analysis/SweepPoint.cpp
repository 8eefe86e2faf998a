#include "analysis/SweepPoint.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "analysis/Conversion.h"
#include "analysis/DataAwareProjection.h"
#include "common/Error.h"
#include "hw/Estimator.h"
#include "hw/PlatformRegistry.h"
#include "io/DatasetFile.h"
#include "io/ModelFile.h"
#include "model/ShapeInference.h"
#include "nn/training/Architecture.h"
#include "nn/training/Trainer.h"

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

Dataset readSweepData(const std::string& path, const std::string& labels, std::int64_t limit, const Shape& input,
                      Shape* imageShape)
{
    DatasetOptions o;
    if (!labels.empty())
        o.labelsPath = labels;
    o.limit = limit;
    Dataset d = readDataset(path, o);
    if (imageShape) {
        const Shape& s = d.images.shape();
        if (s.size() == 4)
            *imageShape = {s[1], s[2], s[3]};
        else if (s.size() == 3)
            *imageShape = {s[1], s[2], 1};
    }
    fitDatasetToInput(d, input);
    return d;
}

// The trainer's seeded (train, validation) split; calibration samples come from its training part,
// as `circnn finetune` takes them, so validation stays an honest selection criterion.
Tensor calibrationSamples(const SweepConfig& config, const Dataset& train)
{
    std::vector<std::int64_t> trainIdx, valIdx;
    splitIndices(train.count(), 0.1, config.seed, trainIdx, valIdx);
    trainIdx.resize(std::min<std::size_t>(trainIdx.size(), static_cast<std::size_t>(config.calibration)));
    return selectSamples(train, trainIdx).images;
}

// Fresh seeded Glorot-uniform weights for every Dense / Conv2D layer (block-circulant ones draw
// their defining vectors from the same distribution; buildArchitecture's rule), biases zero.
ModelSpec reinitialised(ModelSpec spec, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    for (LayerSpec& l : spec.layers) {
        if (l.kind != LayerKind::Dense && l.kind != LayerKind::Conv2D)
            continue;
        const Shape& in = spec.layers[spec.indexOf(l.inputs.at(0))].outputShape;
        const double taps = static_cast<double>(l.kernelH * l.kernelW);
        const double fanIn = taps * static_cast<double>(in.back()), fanOut = taps * static_cast<double>(l.units);
        const float limit = static_cast<float>(std::sqrt(6.0 / (fanIn + fanOut)));
        Tensor& w = l.circulant ? l.circulant->vectors : l.kernel;
        for (std::int64_t i = 0; i < w.size(); ++i)
            w[i] = uniformFloat(static_cast<std::uint32_t>(rng()), -limit, limit);
        l.bias.fill(0.0f);
    }
    return spec;
}

} // namespace

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
    c.spec = readModel(c.file);
    c.dense = std::make_unique<Model>(c.spec);
    c.denseParameters = modelStats(c.spec).parameters;
    c.eval = readSweepData(config.data, config.labels, config.evalLimit, c.dense->inputShape(), nullptr);
    const bool needTrain = std::any_of(config.modes.begin(), config.modes.end(), modeNeedsTrainingData);
    if (needTrain)
        c.train = readSweepData(config.trainData, config.trainLabels, config.trainLimit, c.dense->inputShape(),
                                &c.imageShape);
    c.denseEval = evaluate(*c.dense, c.eval);
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
    auto say = [&](const std::string& s) {
        if (cancel && cancel())
            throw Cancelled();
        if (step)
            step(s);
    };
    const ProgressFn progress = [&](std::size_t, std::size_t) { return !(cancel && cancel()); };

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

    ConversionRequest request = sweepConversionRequest(config, point);
    request.reorderProgress = progress;
    say("converting");
    const bool dataAware = point.mode == AccuracyMode::DataAware || (point.mode == AccuracyMode::Finetune && [&] {
                               for (const LayerConversion& l : planConversion(context.spec, request))
                                   if (l.converted && l.kind == "Conv2D")
                                       return false;
                               return true;
                           }());
    ConversionResult conv =
        dataAware ? convertModelDataAware(context.spec, request, calibrationSamples(config, context.train),
                                          kDefaultRelativeRidge, progress)
                  : convertModel(context.spec, request);
    ModelSpec result = conv.model;
    if (trains) {
        TrainOptions o;
        o.epochs = config.epochs;
        o.seed = config.seed;
        o.imageShape = context.imageShape;
        o.progress = progress;
        if (point.mode == AccuracyMode::Finetune) {
            // The `circnn finetune` recipe (docs/accuracy.md): SGD + momentum, cosine, distillation.
            o.optimizer.kind = OptimizerKind::Sgd;
            o.optimizer.learningRate = 0.01;
            o.optimizer.momentum = 0.9;
            o.batchSize = 32;
            o.schedule.kind = ScheduleKind::Cosine;
            o.schedule.warmupEpochs = 0.3;
            o.teacher = conv.reorderedSource ? &*conv.reorderedSource : &context.spec;
            o.distillation = 0.9;
            o.temperature = 4;
        }
        const ModelSpec start =
            point.mode == AccuracyMode::Scratch ? reinitialised(conv.model, config.seed) : conv.model;
        say("training " + std::to_string(config.epochs) + " epoch(s)");
        TrainResult trained = trainModel(start, context.train, o);
        result = std::move(trained.model);
        for (const std::string& w : trained.warnings)
            r.warnings.push_back(w);
    }
    for (const std::string& w : conv.warnings)
        r.warnings.push_back(w);

    say("evaluating");
    const Model circulant(result);
    EvalOptions eo;
    eo.progress = progress;
    const Evaluation ev = evaluate(circulant, context.eval, eo);
    r.evalCount = ev.count;
    r.top1 = ev.top1;
    r.top5 = ev.top5;
    r.denseTop1 = context.denseEval.top1;
    r.denseTop5 = context.denseEval.top5;
    std::int64_t same = 0;
    for (std::size_t i = 0; i < ev.predictions.size() && i < context.denseEval.predictions.size(); ++i)
        same += ev.predictions[i] == context.denseEval.predictions[i] ? 1 : 0;
    r.agreement = ev.count > 0 ? static_cast<double>(same) / static_cast<double>(ev.count) : 0;

    ModelSpec shaped = result;
    inferShapes(shaped, false);
    r.parameters = modelStats(shaped).parameters;
    r.denseParameters = context.denseParameters;
    r.compression = r.parameters > 0 ? static_cast<double>(r.denseParameters) / static_cast<double>(r.parameters) : 1;
    for (const LayerConversion& l : conv.layers)
        r.layers.push_back({l.layer, l.kind, l.blockSize, l.converted, l.reason, l.parametersBefore,
                            l.converted ? l.parametersAfter : l.parametersBefore, l.converted ? l.compression : 1.0,
                            l.converted ? l.relativeResidual : 0.0});

    say("timing");
    computing.reset();
    {
        std::lock_guard exclusive(TimingGate::instance());
        r.timing = measureSweepTiming(*context.dense, circulant, context.eval, config.timingSamples);
    }
    computing.emplace();

    say("estimating");
    hw::EstimateOptions options;
    options.precision = hw::parsePrecision(config.precision);
    options.batch = config.batch;
    for (const hw::Platform& platform : platforms) {
        const hw::Estimate e = hw::estimateModel(result, platform, options);
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
