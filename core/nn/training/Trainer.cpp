#include "nn/training/Trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>

#include "common/Error.h"
#include "common/Parallel.h"
#include "nn/Evaluation.h"
#include "nn/Model.h"
#include "nn/training/KernelProjection.h"
#include "nn/training/MeanSquaredError.h"
#include "nn/training/SoftmaxCrossEntropy.h"

namespace circnn {

namespace {
// Dense kernels from this many elements (256 K, 1 MB) have their gradients formed inside the
// optimizer step (TrainOptions::fuseKernelGradients); smaller ones cost little either way.
constexpr std::int64_t kFusedKernelMinElements = 1 << 18;

// A model whose trainable parameters are nearly all (≥ 90 %) in large dense kernels, with no layer
// that does real work besides its Dense layers, trains each mini-batch as ONE shard whose dense
// products are split over the cores by column blocks (DenseLayer): with one shard per thread every
// thread would read (and BLAS pack) every weight of every product for its share of the rows.
bool trainsAsOneShard(const ModelSpec& spec, const std::vector<ParameterRef>& params)
{
    for (const LayerSpec& l : spec.layers) {
        switch (l.kind) {
        case LayerKind::Input:
        case LayerKind::Flatten:
        case LayerKind::Reshape:
        case LayerKind::Dropout:
        case LayerKind::Activation:
            break;
        case LayerKind::Dense:
            if (l.circulant)
                return false;
            break;
        default:
            return false;
        }
    }
    // Every parameter now belongs to a dense (not block-circulant) Dense layer: "kernel" or "bias".
    std::size_t large = 0, all = 0;
    for (const ParameterRef& p : params) {
        all += p.values.size();
        if (p.role == "kernel" && static_cast<std::int64_t>(p.values.size()) >= kFusedKernelMinElements)
            large += p.values.size();
    }
    return all > 0 && large * 10 >= all * 9;
}

// The gradient sources of the kernels whose gradients the shards' backward passes left to the
// optimizer (Model::deferredKernelGradients): per kernel, every shard's layer input and output
// gradient, in shard order.
std::vector<KernelGradientSource> kernelGradientSources(const Model& model, const std::vector<ForwardCache>& caches,
                                                        const std::vector<std::vector<Tensor>>& shardGrads,
                                                        std::size_t shards, const std::vector<ParameterRef>& params)
{
    std::vector<KernelGradientSource> kernels;
    for (std::size_t s = 0; s < shards; ++s) {
        const std::vector<Model::DeferredKernelGradient> deferred = model.deferredKernelGradients(caches[s]);
        if (s == 0)
            kernels.resize(deferred.size());
        if (deferred.size() != kernels.size())
            throw Error("training: the shards left different kernel gradients to the optimizer");
        for (std::size_t i = 0; i < deferred.size(); ++i) {
            const Model::DeferredKernelGradient& d = deferred[i];
            KernelGradientSource& k = kernels[i];
            if (s == 0) {
                k.parameter = d.parameter;
                k.in = d.in;
                k.out = d.out;
            } else if (k.parameter != d.parameter || k.in != d.in || k.out != d.out) {
                throw Error("training: the shards left different kernel gradients to the optimizer");
            }
            if (shardGrads[s][d.parameter].size() != d.rows * d.out)
                throw Error("training: output gradient of " + params[d.parameter].layer + " has the wrong size");
            k.parts.push_back({d.input->data(), shardGrads[s][d.parameter].data(), d.rows});
        }
    }
    return kernels;
}

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t)
{
    return std::chrono::duration<double>(Clock::now() - t).count();
}

// Copies the samples `indices[begin, end)` of `images` into a batch tensor (end−begin, sample...).
Tensor gatherBatch(const Tensor& images, const std::vector<std::int64_t>& indices, std::size_t begin, std::size_t end)
{
    Shape shape = images.shape();
    const std::int64_t sample = shapeSize(Shape(shape.begin() + 1, shape.end()));
    shape[0] = static_cast<std::int64_t>(end - begin);
    Tensor batch(shape);
    for (std::size_t i = begin; i < end; ++i)
        std::memcpy(batch.data() + static_cast<std::int64_t>(i - begin) * sample, images.data() + indices[i] * sample,
                    sizeof(float) * static_cast<std::size_t>(sample));
    return batch;
}

// Shifts every sample of `batch` (rows of H·W·C values, HWC order) by a random offset in
// [−shift, shift]² with zero fill.
void shiftBatch(Tensor& batch, const Shape& image, int shift, std::mt19937& rng)
{
    const std::int64_t h = image[0], w = image[1], c = image[2], sample = h * w * c;
    std::vector<float> tmp(static_cast<std::size_t>(sample));
    const std::uint32_t span = static_cast<std::uint32_t>(2 * shift + 1);
    for (std::int64_t i = 0; i < batch.dim(0); ++i) {
        const int dy = static_cast<int>(rng() % span) - shift, dx = static_cast<int>(rng() % span) - shift;
        float* x = batch.data() + i * sample;
        std::fill(tmp.begin(), tmp.end(), 0.0f);
        for (std::int64_t y = 0; y < h; ++y) {
            const std::int64_t sy = y - dy;
            if (sy < 0 || sy >= h)
                continue;
            for (std::int64_t xx = 0; xx < w; ++xx) {
                const std::int64_t sx = xx - dx;
                if (sx < 0 || sx >= w)
                    continue;
                std::copy_n(x + (sy * w + sx) * c, c, tmp.data() + (y * w + xx) * c);
            }
        }
        std::copy(tmp.begin(), tmp.end(), x);
    }
}

// ADMM state for the target kernels (see AdmmOptions in Trainer.h).
class AdmmState {
public:
    AdmmState(const AdmmOptions& options, const ModelSpec& spec, const std::vector<ParameterRef>& params)
        : m_rho(options.rho)
    {
        if (options.targets.empty())
            return;
        if (!(options.rho > 0) || !std::isfinite(options.rho))
            throw Error("training: ADMM rho must be > 0, found " + std::to_string(options.rho));
        if (!(options.rhoGrowth >= 1) || !std::isfinite(options.rhoGrowth))
            throw Error("training: ADMM rho growth must be >= 1, found " + std::to_string(options.rhoGrowth));
        for (const ProximalTarget& t : options.targets) {
            const LayerSpec* layer = spec.find(t.layer);
            if (!layer)
                throw Error("training: ADMM target layer '" + t.layer + "' is not in model '" + spec.name + "'");
            std::size_t index = params.size();
            for (std::size_t p = 0; p < params.size(); ++p)
                if (params[p].layer == t.layer && params[p].role == "kernel")
                    index = p;
            if (index == params.size() || layer->circulant)
                throw Error("training: ADMM target layer '" + t.layer + "' has no dense kernel to train");
            Target target;
            target.param = index;
            target.shape = layer->kernel.shape();
            target.blockSize = t.blockSize;
            target.z.resize(params[index].values.size());
            target.u.assign(params[index].values.size(), 0.0f);
            projectKernelBlockCirculant(target.shape, params[index].values, t.blockSize, target.z);
            m_targets.push_back(std::move(target));
        }
    }

    bool active() const { return !m_targets.empty(); }

    // gradient += ρ·(W − Z + U) for every target.
    void addProximalGradient(const std::vector<ParameterRef>& params, std::vector<Tensor>& gradients) const
    {
        const float rho = static_cast<float>(m_rho);
        for (const Target& t : m_targets) {
            const std::span<float> w = params[t.param].values;
            float* g = gradients[t.param].data();
            for (std::size_t i = 0; i < w.size(); ++i)
                g[i] += rho * (w[i] - t.z[i] + t.u[i]);
        }
    }

    // Z = P(W + U); U += W − Z; ρ *= growth.
    void update(const std::vector<ParameterRef>& params, double growth)
    {
        for (Target& t : m_targets) {
            const std::span<float> w = params[t.param].values;
            std::vector<float> v(w.size());
            for (std::size_t i = 0; i < w.size(); ++i)
                v[i] = w[i] + t.u[i];
            projectKernelBlockCirculant(t.shape, v, t.blockSize, t.z);
            for (std::size_t i = 0; i < w.size(); ++i)
                t.u[i] += w[i] - t.z[i];
        }
        m_rho *= growth;
    }

    // ‖W − P(W)‖_F / ‖W‖_F over all targets together.
    double residual(const std::vector<ParameterRef>& params) const
    {
        double r2 = 0, n2 = 0;
        for (const Target& t : m_targets) {
            const std::span<float> w = params[t.param].values;
            std::vector<float> p(w.size());
            projectKernelBlockCirculant(t.shape, w, t.blockSize, p);
            for (std::size_t i = 0; i < w.size(); ++i) {
                const double d = double(w[i]) - double(p[i]);
                r2 += d * d;
                n2 += double(w[i]) * double(w[i]);
            }
        }
        return n2 > 0 ? std::sqrt(r2 / n2) : 0.0;
    }

private:
    struct Target {
        std::size_t param = 0;
        Shape shape;
        std::int64_t blockSize = 0;
        std::vector<float> z, u;
    };
    std::vector<Target> m_targets;
    double m_rho = 0;
};

} // namespace

TrainResult trainModel(const ModelSpec& initial, const Dataset& data, const TrainOptions& options)
{
    if (options.epochs < 1)
        throw Error("training: epochs must be >= 1, found " + std::to_string(options.epochs));
    if (options.batchSize < 1)
        throw Error("training: batch size must be >= 1, found " + std::to_string(options.batchSize));
    const std::int64_t n = data.count();
    if (n < 1)
        throw ShapeError("training: the dataset '" + data.name + "' is empty");
    const bool classify = options.task == Task::Classify || options.task == Task::Auto;
    if (classify && static_cast<std::int64_t>(data.labels.size()) != n)
        throw ShapeError("training: dataset '" + data.name + "' has " + std::to_string(n) + " images but " +
                         std::to_string(data.labels.size()) + " labels");

    const auto start = Clock::now();
    Model model(initial);
    Shape sampleShape(data.images.shape().begin() + 1, data.images.shape().end());
    if (shapeSize(sampleShape) != shapeSize(model.inputShape()) || sampleShape.size() != model.inputShape().size())
        throw ShapeError("training: dataset '" + data.name + "' samples have shape " + shapeToString(sampleShape) +
                         " but model '" + initial.name + "' expects " + shapeToString(model.inputShape()));
    const std::int64_t classes = shapeSize(model.outputShape());
    if (options.task == Task::Reconstruct && classes != shapeSize(model.inputShape()))
        throw ShapeError("training: model '" + initial.name + "' maps " + shapeToString(model.inputShape()) + " to " +
                         shapeToString(model.outputShape()) + ", a reconstruction needs equal sizes");
    if (options.task == Task::Regress &&
        (data.targets.rank() < 1 || data.targets.dim(0) != n || data.targets.size() != n * classes))
        throw ShapeError("training: dataset '" + data.name + "' has targets of shape " +
                         shapeToString(data.targets.shape()) + ", model '" + initial.name + "' needs " +
                         std::to_string(n) + " × " + std::to_string(classes) + " values");
    for (std::int64_t i = 0; classify && i < n; ++i) {
        const std::int32_t l = data.labels[static_cast<std::size_t>(i)];
        if (l < 0 || l >= classes)
            throw ShapeError("training: label " + std::to_string(l) + " of sample " + std::to_string(i) + " in '" +
                             data.name + "' is outside [0, " + std::to_string(classes) + "): model '" + initial.name +
                             "' has " + std::to_string(classes) + " outputs");
    }

    TrainResult result;
    std::vector<std::int64_t> trainIdx, valIdx;
    splitIndices(n, options.validationSplit, options.seed, trainIdx, valIdx);
    if (trainIdx.empty())
        throw Error("training: no samples left for training after the validation split");
    result.trainCount = static_cast<std::int64_t>(trainIdx.size());
    result.validationCount = static_cast<std::int64_t>(valIdx.size());
    const Dataset validation = valIdx.empty() ? Dataset{} : selectSamples(data, valIdx, " (validation split)");
    if (options.validationSplit > 0 && valIdx.empty())
        result.warnings.push_back("validation split " + std::to_string(options.validationSplit) + " of " +
                                  std::to_string(n) +
                                  " samples is empty; the best epoch is chosen by training accuracy");

    std::unique_ptr<Model> teacher;
    if (options.teacher && options.distillation > 0) {
        if (!(options.distillation <= 1))
            throw Error("training: distillation weight must be in [0, 1], found " +
                        std::to_string(options.distillation));
        teacher = std::make_unique<Model>(*options.teacher);
        if (shapeSize(teacher->outputShape()) != classes || teacher->inputShape() != model.inputShape())
            throw ShapeError("training: teacher model '" + options.teacher->name + "' maps " +
                             shapeToString(teacher->inputShape()) + " to " + shapeToString(teacher->outputShape()) +
                             ", the student " + shapeToString(model.inputShape()) + " to " +
                             shapeToString(model.outputShape()));
    }
    const bool teacherSoftmax =
        options.teacher && !options.teacher->outputs.empty() &&
        options.teacher->find(options.teacher->outputs.front()) &&
        options.teacher->find(options.teacher->outputs.front())->activation == ActivationKind::Softmax;

    Shape image = options.imageShape.empty() ? sampleShape : options.imageShape;
    if (options.augmentShift < 0)
        throw Error("training: augmentation shift must be >= 0, found " + std::to_string(options.augmentShift));
    if (options.augmentShift > 0 && (image.size() != 3 || shapeSize(image) != shapeSize(sampleShape)))
        throw ShapeError("training: shift augmentation needs images (H, W, C) of " +
                         std::to_string(shapeSize(sampleShape)) + " values, found image shape " + shapeToString(image));

    Optimizer optimizer(options.optimizer);
    std::vector<ParameterRef> params = model.parameters();
    if (params.empty())
        throw Error("training: model '" + initial.name + "' has no trainable parameters");
    AdmmState admm(options.admm, initial, params);
    if (admm.active())
        result.structureResidual.push_back(admm.residual(params));
    // The summed gradient, only for ADMM (otherwise the optimizer sums the shards' parts itself).
    std::vector<Tensor> total(admm.active() ? params.size() : 0);
    std::vector<std::size_t> gradientOffsets{0}; // parameter p's elements in [offsets[p], offsets[p + 1])
    for (std::size_t p = 0; p < params.size(); ++p) {
        if (admm.active())
            total[p] = Tensor({static_cast<std::int64_t>(params[p].values.size())});
        gradientOffsets.push_back(gradientOffsets.back() + params[p].values.size());
    }

    warmupFactor(options.schedule, 0, 1); // validates the warm-up setting before any work
    const std::size_t threads = std::max<std::size_t>(1, workerCount());
    std::vector<ForwardCache> caches(threads);
    // Large dense kernels: their gradients are formed inside the optimizer step, block by block, from
    // the shards' layer inputs and output gradients (KernelGradientSource), instead of each shard
    // writing a whole kernel-sized gradient that the optimizer then reads back: per step, for a
    // 4096×4096 kernel and two shards, 64 MB written twice (and zeroed by BLAS first) and read
    // twice less (docs/benchmarks.md, §4). ADMM needs the summed gradient itself, so it keeps them.
    const bool fuseKernels = options.fuseKernelGradients && !admm.active();
    const bool oneShard = options.oneShardForDenseModels && threads > 1 && trainsAsOneShard(initial, params);
    if (fuseKernels)
        for (ForwardCache& c : caches)
            c.deferKernelGradients(kFusedKernelMinElements);
    // Filled by Model::backward() (sized there: a fused kernel's entry holds its output gradient).
    std::vector<std::vector<Tensor>> shardGrads(threads);
    std::vector<LossSums> shardLoss(threads);

    const std::int64_t batches = (result.trainCount + options.batchSize - 1) / options.batchSize;
    const std::size_t totalBatches = static_cast<std::size_t>(batches) * static_cast<std::size_t>(options.epochs);
    std::size_t batchesDone = 0;
    std::int64_t samplesTrained = 0;
    double trainingSeconds = 0;

    ModelSpec best;
    double bestScore = -INFINITY;
    std::vector<std::int64_t> order = trainIdx;
    for (int epoch = 0; epoch < options.epochs; ++epoch) {
        const auto epochStart = Clock::now();
        const double lr = learningRateAt(options.schedule, options.optimizer.learningRate, epoch, options.epochs);
        order = trainIdx;
        shuffleIndices(order, (std::uint64_t(options.seed) << 32) + std::uint64_t(epoch) + 1);
        double lossSum = 0;
        std::int64_t correct = 0, seen = 0;
        for (std::int64_t b = 0; b < batches; ++b) {
            const std::size_t begin = static_cast<std::size_t>(b * options.batchSize);
            const std::size_t end = std::min(order.size(), begin + static_cast<std::size_t>(options.batchSize));
            const std::size_t bsz = end - begin;
            const std::size_t shards = oneShard ? 1 : std::min(threads, bsz);
            const double scale = 1.0 / double(bsz);
            parallelFor(shards, [&](std::size_t s0, std::size_t s1) {
                for (std::size_t s = s0; s < s1; ++s) {
                    const std::size_t lo = begin + bsz * s / shards, hi = begin + bsz * (s + 1) / shards;
                    Tensor x = gatherBatch(data.images, order, lo, hi);
                    std::vector<std::int32_t> labels(classify ? hi - lo : 0);
                    for (std::size_t i = lo; classify && i < hi; ++i)
                        labels[i - lo] = data.labels[static_cast<std::size_t>(order[i])];
                    std::seed_seq seq{options.seed, static_cast<std::uint32_t>(epoch), static_cast<std::uint32_t>(b),
                                      static_cast<std::uint32_t>(s)};
                    std::mt19937 rng(seq);
                    if (options.augmentShift > 0) {
                        std::seed_seq augSeq{options.seed, static_cast<std::uint32_t>(epoch),
                                             static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(s), 0xa11u};
                        std::mt19937 augRng(augSeq);
                        shiftBatch(x, image, options.augmentShift, augRng);
                    }
                    Tensor out = model.forwardTrain(x, caches[s], rng, true);
                    const Shape outShape = out.shape();
                    out.reshape({static_cast<std::int64_t>(hi - lo), classes});
                    Tensor grad;
                    Tensor soft;
                    if (!classify) {
                        Tensor target = options.task == Task::Regress ? gatherBatch(data.targets, order, lo, hi) : x;
                        if (teacher) {
                            const Tensor t = teacher->forward(x);
                            const float a = static_cast<float>(options.distillation);
                            for (std::int64_t i = 0; i < target.size(); ++i)
                                target[i] = (1 - a) * target[i] + a * t[i];
                        }
                        shardLoss[s] = meanSquaredError(out, target.data(), &grad, scale);
                    } else if (teacher) {
                        soft = teacher->forward(x);
                        soft.reshape({static_cast<std::int64_t>(hi - lo), classes});
                        if (!teacherSoftmax)
                            softmaxRows(soft);
                        softenRows(soft, options.temperature);
                    }
                    if (classify)
                        shardLoss[s] = softmaxCrossEntropy(out, labels.data(), &grad, scale, teacher ? &soft : nullptr,
                                                           options.distillation, options.temperature);
                    grad.reshape(outShape);
                    model.backward(caches[s], grad, shardGrads[s]);
                }
            });
            const std::vector<KernelGradientSource> kernels =
                fuseKernels ? kernelGradientSources(model, caches, shardGrads, shards, params)
                            : std::vector<KernelGradientSource>{};
            std::vector<bool> fused(params.size(), false);
            for (const KernelGradientSource& k : kernels)
                fused.at(k.parameter) = true;
            for (std::size_t p = 0; p < params.size(); ++p)
                for (std::size_t s = 0; s < shards && !fused[p]; ++s)
                    if (static_cast<std::size_t>(shardGrads[s][p].size()) != params[p].values.size())
                        throw Error("training: gradient of " + params[p].layer + "/" + params[p].role +
                                    " has the wrong size");
            for (std::size_t s = 0; s < shards; ++s) {
                lossSum += shardLoss[s].lossSum;
                correct += shardLoss[s].correct;
            }
            seen += static_cast<std::int64_t>(bsz);
            if (!std::isfinite(lossSum))
                throw Error("training: the loss became " + std::to_string(lossSum) + " in epoch " +
                            std::to_string(epoch + 1) + " (learning rate " + std::to_string(lr) + " too high?)");
            const double stepLr = lr * warmupFactor(options.schedule, std::int64_t(batchesDone), batches);
            if (admm.active()) {
                // Shard sums of all parameters as one element range split over the cores (each element
                // summed in shard order by one thread: the result does not depend on how the range is
                // split); one dispatch per step instead of one per parameter.
                parallelFor(
                    gradientOffsets.back(),
                    [&](std::size_t begin, std::size_t end) {
                        for (std::size_t p = 0; p < params.size(); ++p) {
                            const std::size_t lo = std::max(begin, gradientOffsets[p]),
                                              hi = std::min(end, gradientOffsets[p + 1]);
                            if (lo >= hi)
                                continue;
                            const std::size_t i0 = lo - gradientOffsets[p], i1 = hi - gradientOffsets[p];
                            float* t = total[p].data();
                            std::memcpy(t + i0, shardGrads[0][p].data() + i0, sizeof(float) * (i1 - i0));
                            for (std::size_t s = 1; s < shards; ++s) {
                                const float* g = shardGrads[s][p].data();
                                for (std::size_t i = i0; i < i1; ++i)
                                    t[i] += g[i];
                            }
                        }
                    },
                    std::size_t(1) << 15);
                admm.addProximalGradient(params, total);
                optimizer.step(params, total, stepLr);
            } else {
                // The optimizer sums the shards' gradients itself, block by block just before their
                // update (the same float sums in the same order as above, without a pass through memory).
                std::vector<const std::vector<Tensor>*> parts;
                for (std::size_t s = 0; s < shards; ++s)
                    parts.push_back(&shardGrads[s]);
                optimizer.stepSummed(params, parts, stepLr, kernels);
            }
            model.parametersChanged();
            if (admm.active() && (options.admm.updateEveryBatches > 0 ? (b + 1) % options.admm.updateEveryBatches == 0
                                                                      : b + 1 == batches))
                admm.update(params, options.admm.rhoGrowth);
            ++batchesDone;
            if (options.onStatus) {
                TrainStatus st;
                st.epoch = epoch + 1;
                st.epochs = options.epochs;
                st.batch = b + 1;
                st.batches = batches;
                st.loss = lossSum / double(seen);
                st.accuracy = classify ? double(correct) / double(seen) : NAN;
                st.learningRate = stepLr;
                st.elapsedSeconds = secondsSince(start);
                st.etaSeconds = st.elapsedSeconds / double(batchesDone) * double(totalBatches - batchesDone);
                if (!options.onStatus(st))
                    throw Cancelled();
            }
            reportProgress(options.progress, batchesDone, totalBatches);
        }
        trainingSeconds += secondsSince(epochStart);
        samplesTrained += seen;

        EpochRecord rec;
        rec.epoch = epoch + 1;
        rec.trainLoss = lossSum / double(seen);
        rec.trainAccuracy = classify ? double(correct) / double(seen) : NAN;
        // Higher is better: accuracy, or the negated MSE.
        double score = classify ? rec.trainAccuracy : -rec.trainLoss;
        if (!valIdx.empty()) {
            EvalOptions eo;
            eo.task = classify ? Task::Classify : options.task;
            const Evaluation ev = evaluate(model, validation, eo);
            rec.valLoss = classify ? ev.meanCrossEntropy : ev.errors.meanSquaredError;
            rec.valAccuracy = classify ? ev.top1 : NAN;
            score = classify ? ev.top1 : -ev.errors.meanSquaredError;
        }
        rec.seconds = secondsSince(epochStart);
        result.history.push_back(rec);
        if (admm.active())
            result.structureResidual.push_back(admm.residual(params));
        if (!options.keepBestEpoch || score > bestScore) {
            bestScore = score;
            best = model.currentSpec();
            result.bestEpoch = rec.epoch;
        }
        if (options.onEpoch)
            options.onEpoch(rec);
    }
    result.bestValidationAccuracy = classify ? bestScore : -bestScore;
    result.model = std::move(best);
    result.model.provenance.history = result.history;
    result.seconds = secondsSince(start);
    result.imagesPerSecond = trainingSeconds > 0 ? double(samplesTrained) / trainingSeconds : 0;
    return result;
}

} // namespace circnn
