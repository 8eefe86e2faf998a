#include "nn/Model.h"

#include <algorithm>
#include <cblas.h>
#include <chrono>
#include <mutex>

#include "common/Error.h"
#include "common/Parallel.h"
#include "model/ShapeInference.h"
#include "nn/Layer.h"
#include "nn/MultiHeadAttentionLayer.h"
#include "nn/SequenceMask.h"

namespace circnn {

using nn::Layer;
using nn::LayerCache;

namespace {

// Samples per sequential chunk of inference. Each parallelFor task runs the whole network on
// chunks of this size, which bounds per-thread activation memory.
constexpr std::int64_t kChunk = 32;

// BLAS runs single-threaded: Model parallelises over the batch itself, and a threaded BLAS inside
// each worker would oversubscribe the cores. This is process-wide (OpenBLAS has no per-call knob).
void makeBlasSingleThreaded()
{
    static std::once_flag once;
    std::call_once(once, [] { openblas_set_num_threads(1); });
}

Tensor sliceBatch(const Tensor& t, std::int64_t first, std::int64_t count)
{
    Shape s = t.shape();
    s[0] = count;
    Tensor r(s);
    const std::int64_t per = t.dim(0) ? t.size() / t.dim(0) : 0;
    std::copy_n(t.data() + first * per, count * per, r.data());
    return r;
}

} // namespace

struct ForwardCache::Impl {
    std::vector<Tensor> values;     // output of every layer (model order)
    std::vector<LayerCache> caches; // per layer
    Tensor input;
    bool valid = false;
    std::int64_t deferKernelMinElements = 0; // ForwardCache::deferKernelGradients()
};

ForwardCache::ForwardCache() : m_impl(std::make_unique<Impl>()) {}
ForwardCache::~ForwardCache() = default;
ForwardCache::ForwardCache(ForwardCache&&) noexcept = default;
ForwardCache& ForwardCache::operator=(ForwardCache&&) noexcept = default;
void ForwardCache::deferKernelGradients(std::int64_t minElements)
{
    m_impl->deferKernelMinElements = std::max<std::int64_t>(0, minElements);
}
ForwardCache::Impl& ForwardCache::impl()
{
    return *m_impl;
}
const ForwardCache::Impl& ForwardCache::impl() const
{
    return *m_impl;
}

struct Model::Impl {
    ModelSpec spec;
    std::vector<std::unique_ptr<Layer>> layers;
    std::vector<std::vector<std::size_t>> inputs; // producer indices per layer
    std::vector<bool> needed;                     // on a path to the output
    std::vector<std::size_t> lastUse;             // last consumer index (inference frees after it)
    std::vector<std::size_t> paramOffset, paramCount;
    std::vector<std::size_t> paramSizes; // element count of every parameter (model order)
    std::size_t inputIndex = 0, outputIndex = 0;

    void runLayer(std::size_t i, std::vector<Tensor>& values, const Tensor& input) const
    {
        std::vector<const Tensor*> in;
        if (spec.layers[i].kind == LayerKind::Input)
            in.push_back(&input);
        for (std::size_t j : inputs[i])
            in.push_back(&values[j]);
        layers[i]->forward(in, values[i]);
    }

    // Sequential inference of one chunk.
    Tensor runChunk(const Tensor& input, std::vector<double>* seconds) const
    {
        std::vector<Tensor> values(layers.size());
        for (std::size_t i = 0; i < layers.size(); ++i) {
            if (!needed[i])
                continue;
            const auto t0 = std::chrono::steady_clock::now();
            runLayer(i, values, input);
            if (seconds)
                (*seconds)[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            for (std::size_t j : inputs[i])
                if (lastUse[j] == i && j != outputIndex)
                    values[j] = Tensor();
        }
        return std::move(values[outputIndex]);
    }

    Tensor forward(const Tensor& input, std::vector<LayerTiming>* timings) const
    {
        const Shape want = spec.layers[inputIndex].outputShape;
        Shape got = input.shape();
        if (got.size() != want.size() + 1 || !std::equal(want.begin(), want.end(), got.begin() + 1))
            throw ShapeError("model '" + spec.name + "': input has shape " + shapeToString(got) + ", expected (batch" +
                             (want.empty() ? "" : ", ") + shapeToString(want).substr(1));
        const std::int64_t batch = input.dim(0);
        const Shape outShape = spec.layers[outputIndex].outputShape;
        Tensor out(nn::withBatch(batch, outShape));
        const std::int64_t perOut = shapeSize(outShape);
        const std::int64_t chunks = (batch + kChunk - 1) / kChunk;
        std::mutex timingMutex;
        std::vector<double> total(layers.size(), 0.0);
        parallelFor(static_cast<std::size_t>(chunks), [&](std::size_t begin, std::size_t end) {
            std::vector<double> local(layers.size(), 0.0);
            for (std::size_t c = begin; c < end; ++c) {
                const std::int64_t first = static_cast<std::int64_t>(c) * kChunk;
                const std::int64_t count = std::min(kChunk, batch - first);
                const Tensor y = runChunk(sliceBatch(input, first, count), timings ? &local : nullptr);
                std::copy_n(y.data(), count * perOut, out.data() + first * perOut);
            }
            if (timings) {
                std::lock_guard lock(timingMutex);
                for (std::size_t i = 0; i < local.size(); ++i)
                    total[i] += local[i];
            }
        });
        if (timings) {
            timings->resize(layers.size());
            for (std::size_t i = 0; i < layers.size(); ++i) {
                (*timings)[i].name = spec.layers[i].name;
                (*timings)[i].seconds += total[i];
            }
        }
        return out;
    }
};

Model::Model(ModelSpec spec) : m_impl(std::make_unique<Impl>())
{
    makeBlasSingleThreaded();
    Impl& d = *m_impl;
    d.spec = std::move(spec);
    ModelSpec& s = d.spec;
    if (s.layers.empty())
        throw Error("model '" + s.name + "' has no layers");
    inferShapes(s, true);
    std::vector<std::string> inputNames = s.inputs;
    if (inputNames.empty())
        for (const LayerSpec& l : s.layers)
            if (l.kind == LayerKind::Input)
                inputNames.push_back(l.name);
    if (inputNames.size() != 1)
        throw Error("model '" + s.name + "': exactly one input layer is supported, found " +
                    std::to_string(inputNames.size()));
    d.inputIndex = s.indexOf(inputNames[0]);
    if (s.layers[d.inputIndex].kind != LayerKind::Input)
        throw Error("model '" + s.name + "': model input '" + inputNames[0] + "' is not an Input layer");
    if (s.outputs.size() > 1)
        throw Error("model '" + s.name + "': only single-output models are supported, found " +
                    std::to_string(s.outputs.size()) + " outputs");
    d.outputIndex = s.outputs.empty() ? s.layers.size() - 1 : s.indexOf(s.outputs[0]);

    const std::size_t n = s.layers.size();
    d.inputs.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const LayerSpec& l = s.layers[i];
        if (l.kind == LayerKind::Input && i != d.inputIndex)
            throw Error("model '" + s.name + "': layer '" + l.name + "' is a second Input layer");
        for (const std::string& name : l.inputs)
            d.inputs[i].push_back(s.indexOf(name));
    }
    // Mask consumers (recurrent layers, GlobalAveragePooling1D) downstream of an Embedding with
    // mask_zero or a Masking layer get the tensor the mask is computed from as an extra last input.
    const std::vector<nn::MaskSource> masks = nn::maskSources(s);
    for (std::size_t i = 0; i < n; ++i)
        if (masks[i].layer >= 0)
            d.inputs[i].push_back(static_cast<std::size_t>(masks[i].layer));
    // MultiHeadAttention gets the tensors its query's, value's and key's masks are computed from
    // (those masked, in that order) as extra last inputs.
    const std::vector<nn::AttentionMaskSources> attentionMasks = nn::attentionMaskSources(s);
    for (std::size_t i = 0; i < n; ++i)
        for (const nn::MaskSource* m : {&attentionMasks[i].query, &attentionMasks[i].value, &attentionMasks[i].key})
            if (m->layer >= 0)
                d.inputs[i].push_back(static_cast<std::size_t>(m->layer));
    d.needed.assign(n, false);
    d.needed[d.outputIndex] = true;
    for (std::size_t i = n; i-- > 0;)
        if (d.needed[i])
            for (std::size_t j : d.inputs[i])
                d.needed[j] = true;
    if (!d.needed[d.inputIndex])
        throw Error("model '" + s.name + "': output '" + s.layers[d.outputIndex].name +
                    "' does not depend on the input");
    d.lastUse.assign(n, 0);
    for (std::size_t i = 0; i < n; ++i)
        if (d.needed[i])
            for (std::size_t j : d.inputs[i])
                d.lastUse[j] = std::max(d.lastUse[j], i);

    d.paramOffset.assign(n, 0);
    d.paramCount.assign(n, 0);
    std::size_t offset = 0;
    for (std::size_t i = 0; i < n; ++i) {
        d.layers.push_back(nn::createLayer(s.layers[i]));
        if (masks[i].layer >= 0)
            d.layers[i]->setMaskRule(masks[i].frameMaskValue);
        if (auto* attention = dynamic_cast<nn::MultiHeadAttentionLayer*>(d.layers.back().get()))
            attention->setMaskInputs(attentionMasks[i]);
        std::vector<Shape> shapes;
        if (s.layers[i].kind == LayerKind::Input)
            shapes.push_back(s.layers[i].inputShape);
        for (std::size_t j : d.inputs[i])
            shapes.push_back(s.layers[j].outputShape);
        try {
            d.layers[i]->prepare(shapes);
        } catch (const Error& e) {
            throw Error("model '" + s.name + "', " + e.what());
        }
        d.paramOffset[i] = offset;
        const std::vector<ParameterRef> params = d.layers[i]->parameters();
        d.paramCount[i] = params.size();
        for (const ParameterRef& p : params)
            d.paramSizes.push_back(p.values.size());
        offset += d.paramCount[i];
    }
}

Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

const ModelSpec& Model::spec() const
{
    return m_impl->spec;
}

ModelSpec Model::currentSpec() const
{
    ModelSpec s = m_impl->spec;
    for (std::size_t i = 0; i < s.layers.size(); ++i)
        m_impl->layers[i]->storeParameters(s.layers[i]);
    return s;
}

Shape Model::inputShape() const
{
    return m_impl->spec.layers[m_impl->inputIndex].outputShape;
}
Shape Model::outputShape() const
{
    return m_impl->spec.layers[m_impl->outputIndex].outputShape;
}

Tensor Model::forward(const Tensor& input) const
{
    return m_impl->forward(input, nullptr);
}

Tensor Model::forward(const Tensor& input, std::vector<LayerTiming>& timings) const
{
    return m_impl->forward(input, &timings);
}

Tensor Model::forwardTrain(const Tensor& input, ForwardCache& cache, std::mt19937& rng, bool logits) const
{
    const Impl& d = *m_impl;
    const Shape want = inputShape();
    if (input.rank() != static_cast<std::int64_t>(want.size()) + 1 ||
        !std::equal(want.begin(), want.end(), input.shape().begin() + 1))
        throw ShapeError("model '" + d.spec.name + "': training input has shape " + shapeToString(input.shape()) +
                         ", expected (batch, " + shapeToString(want).substr(1));
    ForwardCache::Impl& c = cache.impl();
    const std::size_t n = d.layers.size();
    // Reused across batches: every layer overwrites its value and cache entries.
    c.values.resize(n);
    c.caches.resize(n);
    c.input = input;
    c.valid = false;
    for (std::size_t i = 0; i < n; ++i) {
        if (!d.needed[i])
            continue;
        std::vector<const Tensor*> in;
        if (d.spec.layers[i].kind == LayerKind::Input)
            in.push_back(&c.input);
        for (std::size_t j : d.inputs[i])
            in.push_back(&c.values[j]);
        const std::int64_t kernel = d.layers[i]->deferrableKernelSize();
        c.caches[i].deferKernelGradient = c.deferKernelMinElements > 0 && kernel >= c.deferKernelMinElements;
        d.layers[i]->forwardTrain(in, c.values[i], c.caches[i], rng, logits && i == d.outputIndex);
    }
    c.valid = true;
    return c.values[d.outputIndex];
}

void Model::backward(const ForwardCache& cacheIn, const Tensor& outputGradient, std::vector<Tensor>& gradients) const
{
    const Impl& d = *m_impl;
    const ForwardCache::Impl& c = cacheIn.impl();
    if (!c.valid)
        throw Error("model '" + d.spec.name + "': backward() without a preceding forwardTrain()");
    if (outputGradient.shape() != c.values[d.outputIndex].shape())
        throw ShapeError("model '" + d.spec.name + "': output gradient has shape " +
                         shapeToString(outputGradient.shape()) + ", expected " +
                         shapeToString(c.values[d.outputIndex].shape()));
    const std::size_t n = d.layers.size();
    gradients.resize(d.paramSizes.size());
    // Parameters of layers off the output path get zero gradients.
    for (std::size_t i = 0; i < n; ++i)
        if (!d.needed[i])
            for (std::size_t p = d.paramOffset[i]; p < d.paramOffset[i] + d.paramCount[i]; ++p)
                gradients[p] = Tensor({static_cast<std::int64_t>(d.paramSizes[p])}, 0.0f);
    std::vector<Tensor> grads(n);
    std::vector<bool> hasGrad(n, false);
    grads[d.outputIndex] = outputGradient;
    hasGrad[d.outputIndex] = true;
    for (std::size_t i = n; i-- > 0;) {
        if (!d.needed[i] || d.spec.layers[i].kind == LayerKind::Input)
            continue;
        std::vector<const Tensor*> in;
        for (std::size_t j : d.inputs[i])
            in.push_back(&c.values[j]);
        std::vector<Tensor> inGradStore(d.inputs[i].size());
        std::vector<Tensor*> inGrads(d.inputs[i].size(), nullptr);
        for (std::size_t k = 0; k < d.inputs[i].size(); ++k)
            if (d.spec.layers[d.inputs[i][k]].kind != LayerKind::Input) // the input needs no gradient
                inGrads[k] = &inGradStore[k];
        if (!hasGrad[i]) { // unreachable for needed layers, kept defensive
            grads[i] = Tensor(c.values[i].shape(), 0.0f);
        }
        d.layers[i]->backward(in, c.values[i], grads[i], c.caches[i], inGrads,
                              std::span<Tensor>(gradients.data() + d.paramOffset[i], d.paramCount[i]));
        grads[i] = Tensor(); // free as we go
        for (std::size_t k = 0; k < d.inputs[i].size(); ++k) {
            if (!inGrads[k])
                continue;
            const std::size_t j = d.inputs[i][k];
            if (!hasGrad[j]) {
                grads[j] = std::move(inGradStore[k]);
                hasGrad[j] = true;
            } else {
                float* g = grads[j].data();
                const float* a = inGradStore[k].data();
                for (std::int64_t e = 0; e < grads[j].size(); ++e)
                    g[e] += a[e];
            }
        }
    }
}

std::vector<Model::DeferredKernelGradient> Model::deferredKernelGradients(const ForwardCache& cache) const
{
    const Impl& d = *m_impl;
    const ForwardCache::Impl& c = cache.impl();
    std::vector<DeferredKernelGradient> all;
    if (!c.valid)
        return all;
    for (std::size_t i = 0; i < d.layers.size() && i < c.caches.size(); ++i) {
        if (!d.needed[i] || !c.caches[i].deferKernelGradient)
            continue;
        const Tensor& x = c.values[d.inputs[i].at(0)];
        const Tensor& y = c.values[i];
        DeferredKernelGradient k;
        k.parameter = d.paramOffset[i];
        k.input = &x;
        k.out = y.rank() > 0 ? y.shape().back() : 0;
        k.rows = k.out > 0 ? y.size() / k.out : 0;
        k.in = k.rows > 0 ? x.size() / k.rows : 0;
        if (k.in * k.out != d.layers[i]->deferrableKernelSize())
            throw Error("model '" + d.spec.name + "': layer '" + d.spec.layers[i].name +
                        "' has a deferred kernel gradient of the wrong shape");
        all.push_back(k);
    }
    return all;
}

std::vector<ParameterRef> Model::parameters()
{
    std::vector<ParameterRef> all;
    for (auto& l : m_impl->layers) {
        auto p = l->parameters();
        all.insert(all.end(), p.begin(), p.end());
    }
    return all;
}

void Model::parametersChanged()
{
    for (auto& l : m_impl->layers)
        l->parametersChanged();
}

} // namespace circnn
