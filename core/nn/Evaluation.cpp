#include "nn/Evaluation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include "common/Error.h"

namespace circnn {

namespace {

// Checks that the dataset's per-sample shape fits the model input. A dataset whose samples have
// the same number of values but a different shape (e.g. (N, 784) for a (28, 28, 1) model) is
// reshaped, with a warning. Returns the target batch shape.
Shape fittedShape(const Model& model, const Dataset& data, std::vector<std::string>& warnings, bool needLabels = true)
{
    const Shape want = model.inputShape();
    const Tensor& images = data.images;
    if (images.rank() < 1)
        throw ShapeError("dataset '" + data.name + "' has no images");
    const Shape got(images.shape().begin() + 1, images.shape().end());
    if ((needLabels || !data.labels.empty()) && static_cast<std::int64_t>(data.labels.size()) != images.dim(0))
        throw ShapeError("dataset '" + data.name + "' has " + std::to_string(images.dim(0)) + " images but " +
                         std::to_string(data.labels.size()) + " labels");
    Shape batchShape = want;
    batchShape.insert(batchShape.begin(), images.dim(0));
    if (got == want)
        return batchShape;
    if (shapeSize(got) == shapeSize(want)) {
        warnings.push_back("dataset '" + data.name + "' samples of shape " + shapeToString(got) +
                           " were reshaped to the model input " + shapeToString(want));
        return batchShape;
    }
    throw ShapeError("dataset '" + data.name + "' samples have shape " + shapeToString(got) + " but model '" +
                     model.spec().name + "' expects " + shapeToString(want));
}

std::int64_t classCountOf(const Model& model)
{
    // One vector of class scores per sample; leading 1s (e.g. (1, 1, 10) from a convolutional
    // head) are accepted since the scores are then contiguous.
    const Shape out = model.outputShape();
    bool leadingOnes = !out.empty();
    for (std::size_t i = 0; i + 1 < out.size(); ++i)
        leadingOnes = leadingOnes && out[i] == 1;
    if (!leadingOnes)
        throw ShapeError("model '" + model.spec().name + "' output has shape " + shapeToString(out) +
                         ", expected one vector of class scores per sample");
    return out.back();
}

bool endsWithSoftmax(const Model& model)
{
    const ModelSpec& s = model.spec();
    const LayerSpec& last = s.outputs.empty() ? s.layers.back() : *s.find(s.outputs.front());
    return last.activation == ActivationKind::Softmax &&
           (last.kind == LayerKind::Dense || last.kind == LayerKind::Conv2D || last.kind == LayerKind::Activation);
}

Tensor batchOf(const Tensor& images, const Shape& batchShape, std::int64_t first, std::int64_t count)
{
    Shape s = batchShape;
    s[0] = count;
    Tensor t(s);
    const std::int64_t per = t.size() / std::max<std::int64_t>(count, 1);
    std::copy_n(images.data() + first * per, count * per, t.data());
    return t;
}

// Reconstruction / regression: per-sample errors against the inputs or Dataset::targets.
Evaluation evaluateErrors(const Model& model, const Dataset& data, const EvalOptions& options, Task task)
{
    Evaluation ev;
    ev.task = task;
    const Shape batchShape = fittedShape(model, data, ev.warnings, false);
    const std::int64_t per = shapeSize(model.outputShape());
    const std::int64_t total = options.limit > 0 ? std::min<std::int64_t>(options.limit, data.count()) : data.count();
    const Tensor* targets = &data.images;
    if (task == Task::Reconstruct) {
        if (shapeSize(model.inputShape()) != per)
            throw ShapeError("model '" + model.spec().name + "' maps " + shapeToString(model.inputShape()) + " to " +
                             shapeToString(model.outputShape()) +
                             ": a reconstruction needs the output shape to equal the input shape");
    } else {
        targets = &data.targets;
        if (data.targets.rank() < 1 || data.targets.dim(0) < total ||
            data.targets.size() / std::max<std::int64_t>(data.targets.dim(0), 1) != per)
            throw ShapeError("dataset '" + data.name + "' has targets of shape " + shapeToString(data.targets.shape()) +
                             " but model '" + model.spec().name + "' outputs " + shapeToString(model.outputShape()) +
                             " per sample (regression needs one target of that size per sample)");
    }
    const std::int64_t batchSize = std::max<std::int64_t>(1, options.batchSize);
    ev.count = total;
    const auto t0 = std::chrono::steady_clock::now();
    reportProgress(options.progress, 0, static_cast<std::size_t>(total));
    for (std::int64_t first = 0; first < total; first += batchSize) {
        const std::int64_t count = std::min(batchSize, total - first);
        const Tensor x = batchOf(data.images, batchShape, first, count);
        const Tensor y = options.perLayerTiming ? model.forward(x, ev.layerTimes) : model.forward(x);
        for (std::int64_t b = 0; b < count; ++b)
            addSampleError(ev.errors, y.data() + b * per, targets->data() + (first + b) * per, per);
        reportProgress(options.progress, static_cast<std::size_t>(first + count), static_cast<std::size_t>(total));
    }
    ev.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ev.imagesPerSecond = ev.seconds > 0 ? double(total) / ev.seconds : 0;
    finishErrors(ev.errors);
    if (!data.labels.empty()) {
        const std::vector<std::int32_t> labels(data.labels.begin(), data.labels.begin() + total);
        ev.errors.rocAuc = rocAuc(ev.errors.perSampleSquaredError, labels);
        if (ev.errors.rocAuc) {
            ev.errors.anomalousCount = std::count(labels.begin(), labels.end(), 1);
            ev.errors.normalCount = total - ev.errors.anomalousCount;
        } else {
            ev.warnings.push_back("no ROC AUC: the labels are not all 0 (normal) / 1 (anomalous) with both present");
        }
    }
    return ev;
}

} // namespace

double primaryMetric(const Evaluation& e)
{
    return e.task == Task::Classify ? e.top1 : e.errors.meanSquaredError;
}

std::string metricName(const Evaluation& e)
{
    return e.task == Task::Classify ? "top1" : "mse";
}

bool higherIsBetter(const Evaluation& e)
{
    return e.task == Task::Classify;
}

Evaluation evaluate(const Model& model, const Dataset& data, const EvalOptions& options)
{
    const Task task = options.task == Task::Auto ? detectTask(model) : options.task;
    if (task != Task::Classify)
        return evaluateErrors(model, data, options, task);
    Evaluation ev;
    const Shape batchShape = fittedShape(model, data, ev.warnings);
    const std::int64_t classes = classCountOf(model);
    const std::int64_t total = options.limit > 0 ? std::min<std::int64_t>(options.limit, data.count()) : data.count();
    for (std::int64_t i = 0; i < total; ++i)
        if (data.labels[static_cast<std::size_t>(i)] < 0 || data.labels[static_cast<std::size_t>(i)] >= classes)
            throw ShapeError("dataset '" + data.name + "': label " + std::to_string(data.labels[i]) + " of sample " +
                             std::to_string(i) + " is outside the " + std::to_string(classes) + " classes of model '" +
                             model.spec().name + "'");
    const bool softmaxed = endsWithSoftmax(model);
    if (!softmaxed)
        ev.warnings.push_back("the model's output layer has no softmax: softmax was applied to its outputs to "
                              "compute the cross-entropy");
    if (classes < 5)
        ev.warnings.push_back("the model has fewer than 5 classes: top-5 accuracy is 1 by definition");
    const std::int64_t batchSize = std::max<std::int64_t>(1, options.batchSize);
    ev.count = total;
    ev.confusion.assign(static_cast<std::size_t>(classes),
                        std::vector<std::int64_t>(static_cast<std::size_t>(classes), 0));
    ev.predictions.reserve(static_cast<std::size_t>(total));
    std::int64_t correct1 = 0, correct5 = 0;
    double ceSum = 0;
    const auto t0 = std::chrono::steady_clock::now();
    reportProgress(options.progress, 0, static_cast<std::size_t>(total));
    for (std::int64_t first = 0; first < total; first += batchSize) {
        const std::int64_t count = std::min(batchSize, total - first);
        const Tensor x = batchOf(data.images, batchShape, first, count);
        const Tensor y = options.perLayerTiming ? model.forward(x, ev.layerTimes) : model.forward(x);
        std::vector<double> p(static_cast<std::size_t>(classes));
        for (std::int64_t b = 0; b < count; ++b) {
            const float* row = y.data() + b * classes;
            const std::int32_t label = data.labels[static_cast<std::size_t>(first + b)];
            std::int32_t best = 0;
            for (std::int64_t c = 1; c < classes; ++c)
                if (row[c] > row[best])
                    best = static_cast<std::int32_t>(c);
            // Rank of the true class: classes scoring strictly higher (ties count in its favour).
            std::int64_t above = 0;
            for (std::int64_t c = 0; c < classes; ++c)
                if (row[c] > row[label])
                    ++above;
            correct1 += best == label;
            correct5 += above < 5;
            ev.predictions.push_back(best);
            ++ev.confusion[static_cast<std::size_t>(label)][static_cast<std::size_t>(best)];
            double pTrue;
            if (softmaxed) {
                pTrue = row[label];
            } else {
                const double mx = row[best];
                double sum = 0;
                for (std::int64_t c = 0; c < classes; ++c)
                    sum += std::exp(double(row[c]) - mx);
                pTrue = std::exp(double(row[label]) - mx) / sum;
            }
            // Probabilities are clamped to 1e-7 as Keras' cross-entropy does, so a confident wrong
            // answer costs at most −log(1e-7) ≈ 16.1 instead of infinity.
            ceSum += -std::log(std::max(pTrue, 1e-7));
        }
        reportProgress(options.progress, static_cast<std::size_t>(first + count), static_cast<std::size_t>(total));
    }
    ev.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (total > 0) {
        ev.top1 = double(correct1) / double(total);
        ev.top5 = double(correct5) / double(total);
        ev.meanCrossEntropy = ceSum / double(total);
        ev.imagesPerSecond = ev.seconds > 0 ? double(total) / ev.seconds : 0;
    }
    ev.perClassAccuracy.resize(static_cast<std::size_t>(classes));
    for (std::size_t c = 0; c < ev.confusion.size(); ++c) {
        std::int64_t n = 0;
        for (std::int64_t v : ev.confusion[c])
            n += v;
        ev.perClassAccuracy[c] = n ? double(ev.confusion[c][c]) / double(n) : std::numeric_limits<double>::quiet_NaN();
    }
    return ev;
}

Agreement compareModels(const Model& a, const Model& b, const Dataset& data, const EvalOptions& options)
{
    std::vector<std::string> ignored;
    const Shape batchShape = fittedShape(a, data, ignored, false);
    if (a.inputShape() != b.inputShape() || a.outputShape() != b.outputShape())
        throw ShapeError("models '" + a.spec().name + "' and '" + b.spec().name +
                         "' differ in input or output shape: " + shapeToString(a.inputShape()) + " → " +
                         shapeToString(a.outputShape()) + " vs " + shapeToString(b.inputShape()) + " → " +
                         shapeToString(b.outputShape()));
    const std::int64_t per = shapeSize(a.outputShape());
    const std::int64_t total = options.limit > 0 ? std::min<std::int64_t>(options.limit, data.count()) : data.count();
    const std::int64_t batchSize = std::max<std::int64_t>(1, options.batchSize);
    Agreement ag;
    ag.count = total;
    std::int64_t same = 0;
    double squaredSum = 0;
    reportProgress(options.progress, 0, static_cast<std::size_t>(total));
    for (std::int64_t first = 0; first < total; first += batchSize) {
        const std::int64_t count = std::min(batchSize, total - first);
        const Tensor x = batchOf(data.images, batchShape, first, count);
        const Tensor ya = a.forward(x), yb = b.forward(x);
        for (std::int64_t s = 0; s < count; ++s) {
            const float* ra = ya.data() + s * per;
            const float* rb = yb.data() + s * per;
            same += std::max_element(ra, ra + per) - ra == std::max_element(rb, rb + per) - rb;
            for (std::int64_t i = 0; i < per; ++i) {
                const double d = std::abs(double(ra[i]) - double(rb[i]));
                squaredSum += d * d;
                ag.maxAbsDifference = std::max(ag.maxAbsDifference, std::isnan(d) ? INFINITY : d);
            }
        }
        reportProgress(options.progress, static_cast<std::size_t>(first + count), static_cast<std::size_t>(total));
    }
    ag.top1Match = total ? double(same) / double(total) : 0;
    ag.meanSquaredDifference = total && per ? squaredSum / double(total * per) : 0;
    return ag;
}

} // namespace circnn
