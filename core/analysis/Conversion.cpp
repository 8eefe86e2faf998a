#include "analysis/Conversion.h"

#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "circulant/BlockCirculantMatrix.h"
#include "common/Error.h"
#include "model/AttentionMembers.h"
#include "model/ConversionRules.h"
#include "model/LayerShapeRules.h"
#include "model/LayerTraits.h"
#include "model/RecurrentKinds.h"
#include "model/ShapeInference.h"

namespace circnn {

namespace {

std::int64_t ceilDiv(std::int64_t a, std::int64_t b)
{
    return (a + b - 1) / b;
}

// Projects the rows×cols row-major matrix `w`; appends the defining vectors to `vectors` and adds
// ‖W − P(W)‖² and ‖W‖² to the accumulators.
void projectMatrix(const std::vector<float>& w, std::int64_t rows, std::int64_t cols, std::int64_t k,
                   std::vector<float>& vectors, double& residual2, double& norm2)
{
    const BlockCirculantMatrix p = BlockCirculantMatrix::project(w, rows, cols, k);
    const std::span<const float> v = p.vectors();
    vectors.insert(vectors.end(), v.begin(), v.end());
    const std::vector<float> back = p.toDense();
    for (std::size_t i = 0; i < w.size(); ++i) {
        const double d = double(w[i]) - double(back[i]);
        residual2 += d * d;
        norm2 += double(w[i]) * double(w[i]);
    }
}

// The block-circulant projection of a recurrent kernel K (cols × rows, Keras layout) as the
// rows × cols matrix Kᵀ; accumulates the residual like projectMatrix.
CirculantWeights projectRecurrent(const Tensor& kernel, std::int64_t rows, std::int64_t cols, std::int64_t k,
                                  double& residual2, double& norm2)
{
    std::vector<float> w(static_cast<std::size_t>(rows * cols));
    for (std::int64_t i = 0; i < cols; ++i)
        for (std::int64_t o = 0; o < rows; ++o)
            w[static_cast<std::size_t>(o * cols + i)] = kernel[i * rows + o];
    std::vector<float> vectors;
    projectMatrix(w, rows, cols, k, vectors, residual2, norm2);
    CirculantWeights c;
    c.k = k;
    c.rows = rows;
    c.cols = cols;
    c.vectors = Tensor({ceilDiv(rows, k), ceilDiv(cols, k), k});
    std::copy(vectors.begin(), vectors.end(), c.vectors.data());
    return c;
}

// Records a converted layer in its LayerConversion, the plan and the notes.
void finishLayer(LayerConversion& lc, const LayerSpec& l, ModelSpec& m, std::int64_t k, double compression,
                 double residual2, double norm2, std::ostringstream& notes)
{
    lc.blockSize = k;
    lc.converted = true;
    lc.parametersAfter = layerStats(m, l).parameters;
    lc.compression = compression;
    lc.relativeResidual = norm2 > 0 ? std::sqrt(residual2 / norm2) : 0.0;
    m.plan.perLayer[l.name] = k;
    notes << (notes.tellp() > 0 ? ", " : "") << l.name << " k=" << k;
}

// The conversion without unit reordering. `decideOnly`: decide which layers convert at which k
// (the layers list, converted = true for them) without projecting anything (the model is left
// as it was).
ConversionResult convertPlain(const ModelSpec& model, const ConversionRequest& request, bool decideOnly);

} // namespace

ConversionResult convertModel(const ModelSpec& model, const ConversionRequest& request)
{
    if (request.reorderUnits) {
        ConversionRequest plain = request;
        plain.reorderUnits = false;
        std::vector<ReorderTarget> targets;
        for (const LayerConversion& lc : planConversion(model, plain)) {
            const LayerSpec* l = model.find(lc.layer);
            // Unit reordering covers Dense and Conv2D: other convolutions project as they are;
            // recurrent layers keep their unit order (permuting h would have to permute U's rows,
            // columns and every gate consistently; not implemented).
            if (lc.converted && l && !l->circulant && (l->kind == LayerKind::Dense || l->kind == LayerKind::Conv2D))
                targets.push_back({lc.layer, lc.blockSize});
        }
        if (targets.empty())
            return convertPlain(model, plain, false);
        UnitReorderingOptions options;
        options.seed = request.reorderSeed;
        options.progress = request.reorderProgress;
        UnitReorderingResult reordered = reorderUnits(model, targets, options);
        ConversionResult result = convertPlain(reordered.model, plain, false);
        std::ostringstream note;
        for (const LayerReordering& r : reordered.layers)
            if (r.reordered)
                note << (note.tellp() > 0 ? ", " : "") << r.layer << " (projection residual " << r.residualBefore
                     << " -> " << r.residualAfter << ")";
        if (note.tellp() > 0) {
            const std::string text = "hidden units reordered before projection (function-preserving): " + note.str();
            std::string& notes = result.model.provenance.notes;
            notes = notes.empty() ? text : notes + "; " + text;
        }
        result.reordering = std::move(reordered.layers);
        result.reorderedSource = std::move(reordered.model);
        return result;
    }
    return convertPlain(model, request, false);
}

std::vector<LayerConversion> planConversion(const ModelSpec& model, const ConversionRequest& request)
{
    return convertPlain(model, request, true).layers;
}

namespace {

ConversionResult convertPlain(const ModelSpec& model, const ConversionRequest& request, bool decideOnly)
{
    ConversionResult result;
    result.model = model;
    ModelSpec& m = result.model;
    inferShapes(m, true);
    const std::vector<BlockSizeDecision> decisions = decideBlockSizes(m, request);
    std::ostringstream notes;
    std::map<std::string, const BlockSizeDecision*> decisionOf;
    for (const BlockSizeDecision& d : decisions)
        decisionOf[d.layer] = &d;
    for (LayerSpec& l : m.layers) {
        if (const char* why = layerTraits(l.kind).staysDenseReason) {
            LayerConversion lc;
            lc.layer = l.name;
            lc.kind = layerKindName(l.kind);
            lc.parametersBefore = lc.parametersAfter = layerStats(m, l).parameters;
            lc.reason = why;
            result.layers.push_back(lc);
            continue;
        }
        const auto found = decisionOf.find(l.name);
        if (found == decisionOf.end())
            continue;
        const BlockSizeDecision& d = *found->second;
        LayerConversion lc;
        lc.layer = l.name;
        lc.kind = layerKindName(l.kind);
        const LayerStats before = layerStats(m, l);
        lc.parametersBefore = lc.parametersAfter = before.parameters;
        if (d.outcome == BlockSizeOutcome::Conflict)
            throw Error("conversion of model '" + m.name + "': layer '" + l.name + "' is " + d.reason);
        if (!d.converts()) {
            lc.blockSize = d.currentK;
            lc.converted = l.circulant.has_value() || l.attentionCirculant[0].has_value();
            lc.reason = d.reason;
            m.plan.perLayer[l.name] = d.currentK;
            result.layers.push_back(lc);
            continue;
        }
        const std::int64_t k = d.blockSize, rows = d.rows, cols = d.cols;
        if (decideOnly) {
            lc.blockSize = k;
            lc.converted = true;
            result.layers.push_back(lc);
            continue;
        }
        // Project.
        CirculantWeights cw;
        cw.k = k;
        cw.rows = rows;
        cw.cols = cols;
        std::vector<float> vectors;
        double residual2 = 0, norm2 = 0;
        std::vector<float> w(static_cast<std::size_t>(rows * cols));
        std::int64_t weightsBefore = l.kernel.size();
        if (isRecurrent(l.kind)) {
            // C-LSTM: the stacked gate matrices W = Kᵀ (G·u × in) and U = Rᵀ (G·u × u), both at k;
            // with k | units every block lies inside one gate.
            const CirculantWeights input = projectRecurrent(l.kernel, rows, cols, k, residual2, norm2);
            const CirculantWeights recurrent = projectRecurrent(l.recurrentKernel, rows, l.units, k, residual2, norm2);
            weightsBefore += l.recurrentKernel.size();
            const std::int64_t weightsAfter = input.vectors.size() + recurrent.vectors.size();
            l.circulant = input;
            l.recurrentCirculant = recurrent;
            l.kernel = Tensor();
            l.recurrentKernel = Tensor();
            finishLayer(lc, l, m, k, double(weightsBefore) / double(weightsAfter), residual2, norm2, notes);
            result.layers.push_back(lc);
            continue;
        }
        if (l.kind == LayerKind::MultiHeadAttention) {
            // The query, key, value and output projections, each a 2-D matrix W = Kᵀ (Keras'
            // (d, heads, dim) kernel read as d × heads·dim), all at the layer's k.
            const std::int64_t dq = m.find(l.inputs[0])->outputShape.back();
            const std::int64_t dv = m.find(l.inputs[1])->outputShape.back();
            const std::int64_t dk = l.inputs.size() > 2 ? m.find(l.inputs[2])->outputShape.back() : dv;
            const auto proj = shape_rules::attentionProjections(l, dq, dv, dk);
            weightsBefore = 0;
            std::int64_t weightsAfter = 0;
            for (std::size_t p = 0; p < 4; ++p) {
                weightsBefore += (l.*kAttentionKernels[p]).size();
                l.attentionCirculant[p] =
                    projectRecurrent(l.*kAttentionKernels[p], proj[p].rows, proj[p].cols, k, residual2, norm2);
                weightsAfter += l.attentionCirculant[p]->vectors.size();
                l.*kAttentionKernels[p] = Tensor();
            }
            finishLayer(lc, l, m, k, double(weightsBefore) / double(weightsAfter), residual2, norm2, notes);
            result.layers.push_back(lc);
            continue;
        }
        if (l.kind == LayerKind::Dense) {
            // W = Kᵀ: W[o][i] = K[i][o].
            for (std::int64_t i = 0; i < cols; ++i)
                for (std::int64_t o = 0; o < rows; ++o)
                    w[static_cast<std::size_t>(o * cols + i)] = l.kernel[i * rows + o];
            projectMatrix(w, rows, cols, k, vectors, residual2, norm2);
            cw.vectors = Tensor({ceilDiv(rows, k), ceilDiv(cols, k), k});
        } else {
            // Tap (r, s): W_t[o][c] = K[r][s][c][o] (Conv2D; Conv1D with r = 0), K[r][s][o][c]
            // (Conv2DTranspose's kernel is (kh, kw, C_out, C_in)).
            const std::int64_t taps = l.kernelH * l.kernelW;
            const bool transposed = l.kind == LayerKind::Conv2DTranspose;
            for (std::int64_t t = 0; t < taps; ++t) {
                for (std::int64_t c = 0; c < cols; ++c)
                    for (std::int64_t o = 0; o < rows; ++o)
                        w[static_cast<std::size_t>(o * cols + c)] =
                            transposed ? l.kernel[(t * rows + o) * cols + c] : l.kernel[(t * cols + c) * rows + o];
                projectMatrix(w, rows, cols, k, vectors, residual2, norm2);
            }
            cw.vectors = Tensor({l.kernelH, l.kernelW, ceilDiv(rows, k), ceilDiv(cols, k), k});
        }
        std::copy(vectors.begin(), vectors.end(), cw.vectors.data());
        const std::int64_t weightsAfter = cw.vectors.size();
        l.circulant = std::move(cw);
        l.kernel = Tensor();
        finishLayer(lc, l, m, k, weightsAfter ? double(weightsBefore) / double(weightsAfter) : 1.0, residual2, norm2,
                    notes);
        result.layers.push_back(lc);
    }
    if (result.layers.empty())
        result.warnings.push_back("model '" + m.name + "' has no " + convertibleLayerClasses() + " layers to convert");
    else if (notes.tellp() == 0)
        result.warnings.push_back("no layer of model '" + m.name + "' was converted");
    if (notes.tellp() > 0) {
        const std::string note = "projected to block-circulant (Frobenius-optimal, no retraining): " + notes.str();
        m.provenance.notes = m.provenance.notes.empty() ? note : m.provenance.notes + "; " + note;
    }
    inferShapes(m, true);
    return result;
}

} // namespace

Tensor expandedKernel(const LayerSpec& layer)
{
    if (!layer.circulant)
        return layer.kernel;
    const CirculantWeights& c = *layer.circulant;
    const std::int64_t rows = c.rows, cols = c.cols, k = c.k;
    const std::int64_t per = ceilDiv(rows, k) * ceilDiv(cols, k) * k;
    auto expand = [&](const float* v) {
        return BlockCirculantMatrix(rows, cols, k, std::span<const float>(v, static_cast<std::size_t>(per))).toDense();
    };
    if (layer.kind == LayerKind::Dense) {
        if (c.vectors.size() != per)
            throw ShapeError("layer '" + layer.name + "': defining vectors have shape " +
                             shapeToString(c.vectors.shape()) + ", expected " + std::to_string(per) + " values");
        const std::vector<float> w = expand(c.vectors.data());
        Tensor kernel({cols, rows});
        for (std::int64_t o = 0; o < rows; ++o)
            for (std::int64_t i = 0; i < cols; ++i)
                kernel[i * rows + o] = w[static_cast<std::size_t>(o * cols + i)];
        return kernel;
    }
    if (layer.kind == LayerKind::Conv2D || layer.kind == LayerKind::Conv1D ||
        layer.kind == LayerKind::Conv2DTranspose) {
        const std::int64_t taps = layer.kernelH * layer.kernelW;
        if (c.vectors.size() != taps * per)
            throw ShapeError("layer '" + layer.name + "': defining vectors have shape " +
                             shapeToString(c.vectors.shape()) + ", expected " + std::to_string(taps * per) + " values");
        // Keras layouts: Conv2D (kh, kw, C_in, C_out), Conv1D (kw, C_in, C_out), Conv2DTranspose
        // (kh, kw, C_out, C_in).
        const bool transposed = layer.kind == LayerKind::Conv2DTranspose;
        Tensor kernel = layer.kind == LayerKind::Conv1D ? Tensor({layer.kernelW, cols, rows})
                        : transposed                    ? Tensor({layer.kernelH, layer.kernelW, rows, cols})
                                                        : Tensor({layer.kernelH, layer.kernelW, cols, rows});
        for (std::int64_t t = 0; t < taps; ++t) {
            const std::vector<float> w = expand(c.vectors.data() + t * per);
            for (std::int64_t ci = 0; ci < cols; ++ci)
                for (std::int64_t o = 0; o < rows; ++o)
                    kernel[transposed ? (t * rows + o) * cols + ci : (t * cols + ci) * rows + o] =
                        w[static_cast<std::size_t>(o * cols + ci)];
        }
        return kernel;
    }
    throw Error("layer '" + layer.name + "' (" + layerKindName(layer.kind) + ") has no block-circulant weights");
}

} // namespace circnn
