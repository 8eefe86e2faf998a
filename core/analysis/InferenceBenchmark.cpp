#include "analysis/InferenceBenchmark.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <random>

#include "analysis/Conversion.h"
#include "circulant/BlockCirculantMatrix.h"
#include "common/Error.h"
#include "common/Parallel.h"
#include "model/RecurrentKinds.h"
#include "model/ShapeInference.h"
#include "nn/Model.h"

namespace circnn {

namespace {

// One thread: the calling thread's CPU time (Model runs everything on it; time-slices given to other
// processes on a shared machine are not counted). Several threads: wall clock.
bool g_threadClock = true;

double nowSeconds()
{
    if (g_threadClock) {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Median over `repeat` samples of back-to-back calls lasting >= minSample each (one warm-up call).
double timeWarm(const std::function<void()>& f, int repeat, double minSample)
{
    double t0 = nowSeconds();
    f();
    const double once = std::max(nowSeconds() - t0, 1e-7);
    const int iters = std::max(1, static_cast<int>(std::ceil(minSample / once)));
    std::vector<double> samples;
    for (int r = 0; r < repeat; ++r) {
        t0 = nowSeconds();
        for (int i = 0; i < iters; ++i)
            f();
        samples.push_back((nowSeconds() - t0) / iters);
    }
    std::sort(samples.begin(), samples.end());
    const std::size_t n = samples.size();
    return n % 2 ? samples[n / 2] : 0.5 * (samples[n / 2 - 1] + samples[n / 2]);
}

void fillUniform(Tensor& t, float lo, float hi, std::uint32_t seed)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    for (std::int64_t i = 0; i < t.size(); ++i)
        t[i] = dist(rng);
}

std::int64_t weightCount(const ModelSpec& spec)
{
    std::int64_t total = 0;
    for (const auto& l : spec.layers)
        total += (l.circulant ? l.circulant->vectors.size() : l.kernel.size()) + l.bias.size() +
                 (l.recurrentCirculant ? l.recurrentCirculant->vectors.size() : l.recurrentKernel.size());
    for (const auto& l : spec.layers) // MultiHeadAttention's projections
        for (const Tensor* t : {&l.queryKernel, &l.keyKernel, &l.valueKernel, &l.outputKernel, &l.queryBias, &l.keyBias,
                                &l.valueBias, &l.outputBias})
            total += t->size();
    for (const auto& l : spec.layers)
        for (const auto& c : l.attentionCirculant)
            total += c ? c->vectors.size() : 0;
    return total;
}

// Keras-layout dense kernel (cols × rows) of block-circulant weights W (rows × cols).
Tensor denseKernel(const CirculantWeights& c)
{
    const std::vector<float> w =
        BlockCirculantMatrix(c.rows, c.cols, c.k,
                             std::span<const float>(c.vectors.data(), static_cast<std::size_t>(c.vectors.size())))
            .toDense();
    Tensor k({c.cols, c.rows});
    for (std::int64_t i = 0; i < c.cols; ++i)
        for (std::int64_t o = 0; o < c.rows; ++o)
            k[i * c.rows + o] = w[static_cast<std::size_t>(o * c.cols + i)];
    return k;
}

// The dense twin of a model: block-circulant layers expanded (the file may hold either form).
ModelSpec expandedModel(const ModelSpec& model)
{
    ModelSpec dense = model;
    for (auto& l : dense.layers) {
        if (l.circulant) {
            l.kernel = isRecurrent(l.kind) ? denseKernel(*l.circulant) : expandedKernel(l);
            l.circulant.reset();
        }
        if (l.recurrentCirculant) {
            l.recurrentKernel = denseKernel(*l.recurrentCirculant);
            l.recurrentCirculant.reset();
        }
        // MultiHeadAttention: each projection back in Keras' (d, heads, dim) / (heads, value_dim, out) shape.
        Tensor LayerSpec::*const kernels[4] = {&LayerSpec::queryKernel, &LayerSpec::keyKernel, &LayerSpec::valueKernel,
                                               &LayerSpec::outputKernel};
        for (std::size_t p = 0; p < l.attentionCirculant.size(); ++p) {
            const auto& c = l.attentionCirculant[p];
            if (!c || l.numHeads <= 0)
                continue;
            const Tensor flat = denseKernel(*c);
            Tensor k(p == 3 ? Shape{l.numHeads, c->cols / l.numHeads, c->rows}
                            : Shape{c->cols, l.numHeads, c->rows / l.numHeads});
            std::copy_n(flat.data(), flat.size(), k.data());
            l.*kernels[p] = std::move(k);
            l.attentionCirculant[p].reset();
        }
    }
    return dense;
}

// Times dense vs block-circulant on the same random inputs for every batch and thread count.
void timePair(const std::string& label, std::int64_t k, const ModelSpec& denseSpec, const ModelSpec& circSpec,
              const InferenceBenchConfig& config, std::vector<InferenceBenchRow>& rows,
              const std::function<void(const InferenceBenchRow&)>& onRow)
{
    const Model dense(denseSpec), circ(circSpec);
    const std::size_t allThreads = workerCount();
    for (const std::int64_t batch : config.batches) {
        Shape shape = dense.inputShape();
        shape.insert(shape.begin(), batch);
        Tensor x(shape);
        fillUniform(x, 0.0f, 1.0f, config.seed + static_cast<std::uint32_t>(batch));
        for (const std::size_t requested : config.threads) {
            InferenceBenchRow row;
            row.label = label;
            row.blockSize = k;
            row.batch = batch;
            row.threads = requested == 0 ? allThreads : requested;
            row.denseParameters = weightCount(denseSpec);
            row.circulantParameters = weightCount(circSpec);
            setWorkerCount(row.threads);
            // CPU time only when every row is single-threaded (otherwise one clock for all rows, so
            // the thread counts compare).
            g_threadClock =
                std::all_of(config.threads.begin(), config.threads.end(), [](std::size_t t) { return t == 1; });
            Tensor yDense, yCirc;
            try {
                row.denseUs =
                    timeWarm([&] { yDense = dense.forward(x); }, config.repeat, config.minSampleSeconds) * 1e6;
                row.circulantUs =
                    timeWarm([&] { yCirc = circ.forward(x); }, config.repeat, config.minSampleSeconds) * 1e6;
            } catch (...) {
                setWorkerCount(0);
                throw;
            }
            setWorkerCount(0);
            row.speedup = row.denseUs / row.circulantUs;
            double scale = 1e-30, diff = 0;
            for (std::int64_t t = 0; t < yDense.size(); ++t) {
                scale = std::max(scale, static_cast<double>(std::abs(yDense[t])));
                diff = std::max(diff, static_cast<double>(std::abs(yDense[t] - yCirc[t])));
            }
            row.maxRelDiff = diff / scale;
            rows.push_back(row);
            if (onRow)
                onRow(row);
        }
    }
}

void checkConfig(const InferenceBenchConfig& config)
{
    if (config.repeat < 1)
        throw ShapeError("inference benchmark: repeat must be at least 1, got " + std::to_string(config.repeat));
    for (const auto b : config.batches)
        if (b < 1)
            throw ShapeError("inference benchmark: batch sizes must be at least 1, got " + std::to_string(b));
}

} // namespace

std::vector<InferenceBenchRow> benchmarkModelInference(const ModelSpec& model, std::int64_t k,
                                                       const InferenceBenchConfig& config,
                                                       const std::function<void(const InferenceBenchRow&)>& onRow)
{
    checkConfig(config);
    const ModelSpec dense = expandedModel(model);
    ConversionRequest request;
    request.defaultBlockSize = k;
    const ConversionResult converted = convertModel(dense, request);
    if (std::none_of(converted.layers.begin(), converted.layers.end(), [](const auto& l) { return l.converted; }))
        throw Error("model '" + model.name + "': no layer converts at block size k = " + std::to_string(k) +
                    (converted.layers.empty()
                         ? std::string(" (no Dense / Conv2D layers)")
                         : " (" + converted.layers.front().layer + ": " + converted.layers.front().reason + ")"));
    // The dense side runs the converted weights expanded: the same architecture and function, so
    // both outputs can be checked against each other.
    std::vector<InferenceBenchRow> rows;
    timePair(model.name, k, expandedModel(converted.model), converted.model, config, rows, onRow);
    return rows;
}

std::vector<InferenceBenchRow> benchmarkConvolutions(const std::vector<ConvBenchShape>& shapes,
                                                     const std::vector<std::int64_t>& blockSizes,
                                                     const InferenceBenchConfig& config,
                                                     const std::function<void(const InferenceBenchRow&)>& onRow)
{
    checkConfig(config);
    std::vector<InferenceBenchRow> rows;
    std::uint32_t seed = config.seed;
    for (const auto& s : shapes) {
        if (s.channelsIn < 1 || s.channelsOut < 1 || s.height < 1 || s.width < 1)
            throw ShapeError("conv benchmark: empty shape");
        for (const std::int64_t k : blockSizes) {
            if (k < 1 || k > std::max(s.channelsIn, s.channelsOut))
                continue;
            ModelSpec circ;
            circ.name = "conv";
            LayerSpec in;
            in.name = "input";
            in.kind = LayerKind::Input;
            in.inputShape = {s.height, s.width, s.channelsIn};
            LayerSpec conv;
            conv.name = "conv";
            conv.kind = LayerKind::Conv2D;
            conv.inputs = {"input"};
            conv.units = s.channelsOut;
            conv.kernelH = conv.kernelW = 3;
            conv.padding = Padding::Same;
            const std::int64_t p = (s.channelsOut + k - 1) / k, q = (s.channelsIn + k - 1) / k;
            CirculantWeights w;
            w.k = k;
            w.rows = s.channelsOut;
            w.cols = s.channelsIn;
            w.vectors = Tensor({3, 3, p, q, k});
            // He-like scale so activations stay O(1): each output sums 9·C_in products.
            const float a = std::sqrt(3.0f / static_cast<float>(9 * s.channelsIn));
            fillUniform(w.vectors, -a, a, seed++);
            conv.circulant = w;
            conv.bias = Tensor({s.channelsOut});
            fillUniform(conv.bias, -0.1f, 0.1f, seed++);
            circ.layers = {in, conv};
            circ.inputs = {"input"};
            circ.outputs = {"conv"};
            inferShapes(circ);
            ModelSpec dense = expandedModel(circ);
            inferShapes(dense);
            const std::string label = std::to_string(s.channelsIn) + "->" + std::to_string(s.channelsOut) + "@" +
                                      std::to_string(s.height) + "x" + std::to_string(s.width);
            timePair(label, k, dense, circ, config, rows, onRow);
        }
    }
    return rows;
}

std::vector<InferenceBenchRow> benchmarkRecurrent(const RecurrentBenchShape& shape,
                                                  const std::vector<std::int64_t>& blockSizes,
                                                  const InferenceBenchConfig& config,
                                                  const std::function<void(const InferenceBenchRow&)>& onRow)
{
    checkConfig(config);
    const std::int64_t gates = recurrentGateCount(shape.kind);
    if (gates == 0 || shape.units < 1 || shape.inputs < 1 || shape.steps < 1)
        throw ShapeError("recurrent benchmark: needs a SimpleRNN / LSTM / GRU with positive units, inputs and steps");
    ModelSpec spec;
    spec.name = std::string(layerKindName(shape.kind)) + " " + std::to_string(shape.units) + "u " +
                std::to_string(shape.inputs) + "in x" + std::to_string(shape.steps);
    LayerSpec in;
    in.name = "input";
    in.kind = LayerKind::Input;
    in.inputShape = {shape.steps, shape.inputs};
    LayerSpec rnn;
    rnn.name = "rnn";
    rnn.kind = shape.kind;
    rnn.inputs = {"input"};
    rnn.units = shape.units;
    rnn.activation = ActivationKind::Tanh;
    const std::int64_t g = gates * shape.units;
    // Glorot-like scale so the gates stay in their sensitive range over 100 steps.
    const float a = std::sqrt(3.0f / static_cast<float>(shape.inputs + shape.units));
    rnn.kernel = Tensor({shape.inputs, g});
    fillUniform(rnn.kernel, -a, a, config.seed);
    rnn.recurrentKernel = Tensor({shape.units, g});
    fillUniform(rnn.recurrentKernel, -a, a, config.seed + 1);
    rnn.bias = shape.kind == LayerKind::GRU ? Tensor({2, g}) : Tensor({g});
    fillUniform(rnn.bias, -0.1f, 0.1f, config.seed + 2);
    spec.layers = {in, rnn};
    spec.inputs = {"input"};
    spec.outputs = {"rnn"};
    std::vector<InferenceBenchRow> rows;
    for (const std::int64_t k : blockSizes) {
        ConversionRequest request;
        request.defaultBlockSize = k;
        request.convertOutputLayer = true;
        const ConversionResult converted = convertModel(spec, request);
        if (!converted.model.find("rnn")->circulant)
            continue; // k too large for the layer
        // Dense side: the projected weights expanded (same function, outputs compared).
        timePair(spec.name, k, expandedModel(converted.model), converted.model, config, rows, onRow);
    }
    return rows;
}

} // namespace circnn
