#include "analysis/DataAwareProjection.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "circulant/BlockCirculantMatrix.h"
#include "common/Error.h"
#include "model/ShapeInference.h"
#include "nn/Model.h"

namespace circnn {

namespace {

std::int64_t ceilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }
std::size_t sz(std::int64_t v) { return static_cast<std::size_t>(v); }

// In-place Cholesky factorisation G = L·Lᵀ of the symmetric positive definite d×d row-major
// matrix (lower triangle used and overwritten by L). Returns false if G is not positive definite.
bool cholesky(std::vector<double>& g, std::int64_t d)
{
    for (std::int64_t j = 0; j < d; ++j) {
        double* rowJ = g.data() + j * d;
        double diag = rowJ[j];
        for (std::int64_t t = 0; t < j; ++t)
            diag -= rowJ[t] * rowJ[t];
        if (!(diag > 0) || !std::isfinite(diag))
            return false;
        const double ljj = std::sqrt(diag);
        rowJ[j] = ljj;
        for (std::int64_t i = j + 1; i < d; ++i) {
            double* rowI = g.data() + i * d;
            double s = rowI[j];
            for (std::int64_t t = 0; t < j; ++t)
                s -= rowI[t] * rowJ[t];
            rowI[j] = s / ljj;
        }
    }
    return true;
}

// Solves L·Lᵀ·x = b in place (L from cholesky()).
void choleskySolve(const std::vector<double>& l, std::int64_t d, std::vector<double>& b)
{
    for (std::int64_t i = 0; i < d; ++i) {
        const double* row = l.data() + i * d;
        double s = b[sz(i)];
        for (std::int64_t t = 0; t < i; ++t)
            s -= row[t] * b[sz(t)];
        b[sz(i)] = s / row[i];
    }
    for (std::int64_t i = d; i-- > 0;) {
        double s = b[sz(i)];
        for (std::int64_t t = i + 1; t < d; ++t)
            s -= l[sz(t * d + i)] * b[sz(t)];
        b[sz(i)] = s / l[sz(i * d + i)];
    }
}

struct Solution {
    std::vector<float> vectors;
    double ridge = 0;
    double frobeniusError = 0, dataAwareError = 0;  // relative output errors
};

// The least squares of the header, per block row i with unknowns u_i[(j, s)] = w_ij[s]:
//   prediction for output row i·k + r of sample b:  Σ_j Σ_s w_ij[s] · x_b[j·k + (r − s) mod k]
//   normal equations  (G + λI) u_i = c_i + λ u_P,i  with
//   G[(j,s),(j',s')] = Σ_r A[j·k + (r−s)%k, j'·k + (r−s')%k],  A = X_newᵀX_new (padded, n_p×n_p)
//   c_i[(j,s)]       = Σ_r Z[j·k + (r−s)%k, i·k + r],          Z = X_newᵀ·(X_orig·Wᵀ)
// (r over the valid rows of block row i only).
Solution solve(std::span<const float> dense, std::int64_t rows, std::int64_t cols, std::int64_t k,
               std::span<const float> xNew, std::span<const float> xOrig, std::int64_t samples,
               std::span<const float> frobeniusVectors, double relativeRidge)
{
    if (rows < 1 || cols < 1 || k < 1 || k > std::max(rows, cols))
        throw Error("data-aware projection: invalid " + std::to_string(rows) + "x" + std::to_string(cols) +
                    " matrix with k = " + std::to_string(k));
    if (dense.size() != sz(rows * cols))
        throw Error("data-aware projection: the dense matrix has " + std::to_string(dense.size()) +
                    " values, expected " + std::to_string(rows * cols));
    if (samples < 1 || xNew.size() != sz(samples * cols) || xOrig.size() != sz(samples * cols))
        throw Error("data-aware projection: calibration inputs must be " + std::to_string(samples) + "x" +
                    std::to_string(cols) + " (got " + std::to_string(xNew.size()) + " and " +
                    std::to_string(xOrig.size()) + " values)");
    if (!(relativeRidge >= 0) || !std::isfinite(relativeRidge))
        throw Error("data-aware projection: relative ridge must be >= 0");
    const std::int64_t p = ceilDiv(rows, k), q = ceilDiv(cols, k), np = q * k, d = q * k;
    if (d > kDataAwareMaxUnknowns)
        throw Error("data-aware projection: " + std::to_string(d) + " unknowns per block row exceed the limit of " +
                    std::to_string(kDataAwareMaxUnknowns));
    if (frobeniusVectors.size() != sz(p * q * k))
        throw Error("data-aware projection: Frobenius vectors have the wrong size");

    // Padded double copies of the inputs (N×n_p) and the target Y = X_orig·Wᵀ (N×m).
    std::vector<double> xn(sz(samples * np), 0.0), xo(sz(samples * cols));
    for (std::int64_t b = 0; b < samples; ++b)
        for (std::int64_t c = 0; c < cols; ++c) {
            xn[sz(b * np + c)] = xNew[sz(b * cols + c)];
            xo[sz(b * cols + c)] = xOrig[sz(b * cols + c)];
        }
    std::vector<double> w(dense.begin(), dense.end());
    std::vector<double> y(sz(samples * rows));
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(samples), int(rows), int(cols), 1.0, xo.data(),
                int(cols), w.data(), int(cols), 0.0, y.data(), int(rows));
    std::vector<double> a(sz(np * np)), z(sz(np * rows));
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, int(np), int(np), int(samples), 1.0, xn.data(), int(np),
                xn.data(), int(np), 0.0, a.data(), int(np));
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, int(np), int(rows), int(samples), 1.0, xn.data(), int(np),
                y.data(), int(rows), 0.0, z.data(), int(rows));
    double y2 = 0;
    for (double v : y)
        y2 += v * v;

    // Gram matrices: over all k rows, and over the valid rows of a padded last block row.
    const std::int64_t lastValid = rows - (p - 1) * k;  // in [1, k]
    std::vector<double> g(sz(d * d), 0.0), gLast;
    auto idx = [k](std::int64_t j, std::int64_t r, std::int64_t s) { return j * k + ((r - s) % k + k) % k; };
    for (std::int64_t r = 0; r < k; ++r) {
        if (r == lastValid)
            gLast = g;
        for (std::int64_t j = 0; j < q; ++j)
            for (std::int64_t s = 0; s < k; ++s) {
                const double* aRow = a.data() + idx(j, r, s) * np;
                double* gRow = g.data() + (j * k + s) * d;
                for (std::int64_t j2 = 0; j2 < q; ++j2)
                    for (std::int64_t s2 = 0; s2 < k; ++s2)
                        gRow[j2 * k + s2] += aRow[idx(j2, r, s2)];
            }
    }
    double trace = 0;
    for (std::int64_t i = 0; i < d; ++i)
        trace += g[sz(i * d + i)];
    double lambda = relativeRidge * trace / double(d);
    if (!(lambda > 0))
        lambda = trace > 0 ? 0.0 : 1.0;  // no data at all: the ridge keeps the Frobenius projection

    // Right-hand sides (without ridge) and the objective of a candidate u for block row i:
    // ‖Φu − y‖² = uᵀGu − 2uᵀc + ‖y‖².
    auto rhs = [&](std::int64_t i) {
        const std::int64_t valid = i == p - 1 ? lastValid : k;
        std::vector<double> c(sz(d), 0.0);
        for (std::int64_t j = 0; j < q; ++j)
            for (std::int64_t s = 0; s < k; ++s) {
                double acc = 0;
                for (std::int64_t r = 0; r < valid; ++r)
                    acc += z[sz(idx(j, r, s) * rows + i * k + r)];
                c[sz(j * k + s)] = acc;
            }
        return c;
    };
    auto quad = [d](const std::vector<double>& gm, const std::vector<double>& u, const std::vector<double>& c) {
        double v = 0;
        for (std::int64_t i = 0; i < d; ++i) {
            double gu = 0;
            for (std::int64_t t = 0; t < d; ++t)
                gu += gm[sz(i * d + t)] * u[sz(t)];
            v += u[sz(i)] * (gu - 2.0 * c[sz(i)]);
        }
        return v;
    };

    const bool padded = lastValid < k;
    const std::vector<double> gPlain = g;
    const std::vector<double> gLastPlain = padded ? gLast : std::vector<double>();
    auto factor = [&](std::vector<double>& gm) {
        for (std::int64_t i = 0; i < d; ++i)
            gm[sz(i * d + i)] += lambda;
        if (!cholesky(gm, d))
            throw Error("data-aware projection: the normal equations are singular (use a relative ridge > 0)");
    };
    if (p > 1 || !padded)
        factor(g);
    if (padded)
        factor(gLast);

    Solution sol;
    sol.ridge = lambda;
    sol.vectors.resize(sz(p * q * k));
    double errF = 0, errD = 0;
    for (std::int64_t i = 0; i < p; ++i) {
        const bool last = padded && i == p - 1;
        const std::vector<double> c = rhs(i);
        std::vector<double> uP(sz(d)), u(sz(d));
        for (std::int64_t t = 0; t < d; ++t)
            uP[sz(t)] = frobeniusVectors[sz(i * d + t)];
        for (std::int64_t t = 0; t < d; ++t)
            u[sz(t)] = c[sz(t)] + lambda * uP[sz(t)];
        choleskySolve(last ? gLast : g, d, u);
        for (std::int64_t t = 0; t < d; ++t)
            sol.vectors[sz(i * d + t)] = static_cast<float>(u[sz(t)]);
        const std::vector<double>& gm = last ? gLastPlain : gPlain;
        errF += quad(gm, uP, c);
        errD += quad(gm, u, c);
    }
    errF = std::max(0.0, errF + y2);
    errD = std::max(0.0, errD + y2);
    sol.frobeniusError = y2 > 0 ? std::sqrt(errF / y2) : 0.0;
    sol.dataAwareError = y2 > 0 ? std::sqrt(errD / y2) : 0.0;
    return sol;
}

// The inputs of layer `layerName` (its first input) for `inputs`, as (rows, cols) row-major.
std::vector<float> layerInputs(const ModelSpec& spec, const std::string& layerName, const Tensor& inputs)
{
    const LayerSpec* l = spec.find(layerName);
    const LayerSpec* in = spec.find(l->inputs.front());
    if (in->kind == LayerKind::Input)
        return std::vector<float>(inputs.data(), inputs.data() + inputs.size());
    ModelSpec truncated = spec;
    truncated.outputs = {in->name};
    const Tensor out = Model(std::move(truncated)).forward(inputs);
    return std::vector<float>(out.data(), out.data() + out.size());
}

} // namespace

std::vector<float> projectDataAware(std::span<const float> dense, std::int64_t rows, std::int64_t cols,
                                    std::int64_t k, std::span<const float> xNew, std::span<const float> xOrig,
                                    std::int64_t samples, double relativeRidge)
{
    if (rows < 1 || cols < 1 || k < 1 || k > std::max(rows, cols) || dense.size() != sz(rows * cols))
        throw Error("data-aware projection: invalid matrix or block size");
    const BlockCirculantMatrix frob = BlockCirculantMatrix::project(dense, rows, cols, k);
    return solve(dense, rows, cols, k, xNew, xOrig, samples, frob.vectors(), relativeRidge).vectors;
}

ConversionResult convertModelDataAware(const ModelSpec& model, const ConversionRequest& request,
                                       const Tensor& calibrationInputs, double relativeRidge,
                                       const ProgressFn& progress, std::vector<DataAwareLayerReport>* report)
{
    if (!(relativeRidge >= 0) || !std::isfinite(relativeRidge))
        throw Error("data-aware projection: relative ridge must be >= 0, got " + std::to_string(relativeRidge));
    if (calibrationInputs.rank() < 2 || calibrationInputs.dim(0) < 1)
        throw Error("data-aware projection: no calibration inputs");
    ConversionResult result = convertModel(model, request);
    // The reference outputs come from the dense model whose unit order the conversion used.
    ModelSpec original = result.reorderedSource ? *result.reorderedSource : model;
    inferShapes(original, true);

    // Dense layers converted by this call (not already block-circulant in `model`).
    std::vector<std::size_t> targets;
    for (std::size_t li = 0; li < result.layers.size(); ++li) {
        const LayerConversion& lc = result.layers[li];
        const LayerSpec* before = original.find(lc.layer);
        if (!lc.converted || !before || before->circulant)
            continue;
        if (before->kind == LayerKind::Dense)
            targets.push_back(li);
        else
            result.warnings.push_back("layer '" + lc.layer + "' (" + lc.kind +
                                      ") keeps the Frobenius projection: the data-aware projection covers Dense "
                                      "layers only");
    }
    std::ostringstream notes;
    const std::int64_t samples = calibrationInputs.dim(0);
    reportProgress(progress, 0, targets.size());
    for (std::size_t t = 0; t < targets.size(); ++t) {
        LayerConversion& lc = result.layers[targets[t]];
        LayerSpec& l = *result.model.find(lc.layer);
        const LayerSpec& before = *original.find(lc.layer);
        CirculantWeights& cw = *l.circulant;
        const std::int64_t rows = cw.rows, cols = cw.cols, k = cw.k;
        DataAwareLayerReport rep;
        rep.layer = lc.layer;
        rep.unknowns = ceilDiv(cols, k) * k;
        if (rep.unknowns > kDataAwareMaxUnknowns) {
            rep.reason = std::to_string(rep.unknowns) + " unknowns per block row exceed the limit of " +
                         std::to_string(kDataAwareMaxUnknowns);
            result.warnings.push_back("layer '" + lc.layer + "' keeps the Frobenius projection: " + rep.reason);
        } else {
            const std::vector<float> xo = layerInputs(original, lc.layer, calibrationInputs);
            const std::vector<float> xn = layerInputs(result.model, lc.layer, calibrationInputs);
            const std::int64_t n = static_cast<std::int64_t>(xo.size()) / cols;
            std::vector<float> w(sz(rows * cols));
            for (std::int64_t i = 0; i < cols; ++i)
                for (std::int64_t o = 0; o < rows; ++o)
                    w[sz(o * cols + i)] = before.kernel[i * rows + o];
            try {
                const Solution s = solve(w, rows, cols, k, xn, xo, n,
                                         std::span<const float>(cw.vectors.data(), sz(cw.vectors.size())),
                                         relativeRidge);
                std::copy(s.vectors.begin(), s.vectors.end(), cw.vectors.data());
                rep.dataAware = true;
                rep.ridge = s.ridge;
                rep.frobeniusOutputError = s.frobeniusError;
                rep.dataAwareOutputError = s.dataAwareError;
                const std::vector<float> back = BlockCirculantMatrix(rows, cols, k, s.vectors).toDense();
                double r2 = 0, n2 = 0;
                for (std::size_t i = 0; i < w.size(); ++i) {
                    const double dlt = double(w[i]) - double(back[i]);
                    r2 += dlt * dlt;
                    n2 += double(w[i]) * double(w[i]);
                }
                lc.relativeResidual = n2 > 0 ? std::sqrt(r2 / n2) : 0.0;
                notes << (notes.tellp() > 0 ? ", " : "") << lc.layer;
            } catch (const Error& e) {
                if (dynamic_cast<const Cancelled*>(&e))
                    throw;
                rep.reason = e.what();
                result.warnings.push_back("layer '" + lc.layer + "' keeps the Frobenius projection: " + rep.reason);
            }
        }
        if (report)
            report->push_back(rep);
        reportProgress(progress, t + 1, targets.size());
    }
    if (notes.tellp() > 0) {
        std::ostringstream note;
        note << "data-aware (output-matching) projection on " << samples << " calibration samples, relative ridge "
             << relativeRidge << ": " << notes.str();
        ModelSpec& m = result.model;
        m.provenance.notes = m.provenance.notes.empty() ? note.str() : m.provenance.notes + "; " + note.str();
    }
    return result;
}

} // namespace circnn
