// BlockInspect / MatrixDownsample / WeightHistogram: the values the GUI shows, held against slow
// references: projection strip by strip = BlockCirculantMatrix::project of the whole matrix (and
// convertModel's per-layer residual), a block's spectrum = a naive DFT of its defining vector,
// downsampling = a per-cell loop, histogram counts = a per-value loop.

#include <QTest>

#include <cmath>
#include <complex>
#include <numbers>

#include "../nn/NnTestUtil.h"
#include "TestSupport.h"
#include "analysis/BlockInspect.h"
#include "analysis/Conversion.h"
#include "analysis/MatrixDownsample.h"
#include "analysis/WeightHistogram.h"
#include "circulant/BlockCirculantMatrix.h"
#include "common/Error.h"
#include "model/ShapeInference.h"

using namespace circnn;

namespace {
double frob(const std::vector<float>& v)
{
    double s = 0;
    for (float x : v)
        s += double(x) * x;
    return std::sqrt(s);
}
} // namespace

class TestBlockInspect : public QObject {
    Q_OBJECT
private slots:
    void projectionEqualsWholeMatrixProjection_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::addColumn<int>("k");
        QTest::addColumn<int>("seg"); // segment width (0 = the whole width)
        QTest::newRow("exact 32x48 k8") << 32 << 48 << 8 << 0;
        QTest::newRow("padded 37x50 k8") << 37 << 50 << 8 << 0;
        QTest::newRow("tall 70x5 k8") << 70 << 5 << 8 << 0;
        QTest::newRow("wide 5x70 k8") << 5 << 70 << 8 << 0;
        QTest::newRow("k1") << 9 << 7 << 1 << 0;
        QTest::newRow("k1 segments") << 9 << 21 << 1 << 7;
        QTest::newRow("large k 100x300 k64") << 100 << 300 << 64 << 0;
        QTest::newRow("segments padded 37x150 k8") << 37 << 150 << 8 << 50;
        QTest::newRow("k above segment 40x36 k16") << 40 << 36 << 16 << 12;
        QTest::newRow("k2 odd 15x33") << 15 << 33 << 2 << 0;
        QTest::newRow("k4 padded 21x38") << 21 << 38 << 4 << 0;
        QTest::newRow("k16 padded 40x90") << 40 << 90 << 16 << 0;
        QTest::newRow("k32 (generic path) 64x96") << 64 << 96 << 32 << 0;
    }
    // The fast projection (diagonal sums, residual without materialising) against
    // BlockCirculantMatrix::project of each whole segment and its materialised toDense().
    void projectionEqualsWholeMatrixProjection()
    {
        QFETCH(int, rows);
        QFETCH(int, cols);
        QFETCH(int, k);
        QFETCH(int, seg);
        const int S = seg > 0 ? seg : cols;
        const auto w = test::randomVector(std::size_t(rows) * cols, 11);
        const MatrixProjection p = projectMatrix(w, rows, cols, k, seg);
        std::vector<float> dense(w.size()), vectors;
        std::int64_t blockCols = 0;
        for (int s0 = 0; s0 < cols; s0 += S) {
            std::vector<float> part(std::size_t(rows) * S);
            for (int r = 0; r < rows; ++r)
                std::copy_n(w.begin() + r * cols + s0, S, part.begin() + r * S);
            const BlockCirculantMatrix ref = BlockCirculantMatrix::project(part, rows, S, k);
            const std::vector<float> d = ref.toDense();
            for (int r = 0; r < rows; ++r)
                std::copy_n(d.begin() + r * S, S, dense.begin() + r * cols + s0);
            QCOMPARE(p.blockRows, ref.blockRows());
            blockCols += ref.blockCols();
            for (std::int64_t i = 0; i < ref.blockRows(); ++i)
                for (std::int64_t j = 0; j < ref.blockCols(); ++j)
                    for (int t = 0; t < k; ++t)
                        QCOMPARE(p.vectors[std::size_t(((i * p.blockCols) + (s0 / S) * ref.blockCols() + j) * k + t)],
                                 ref.vectors()[std::size_t((i * ref.blockCols() + j) * k + t)]);
        }
        QCOMPARE(p.blockCols, blockCols);
        const std::vector<float> P = projectedMatrix(p);
        CIRCNN_COMPARE_VECTORS(P.data(), dense.data(), dense.size(), 1e-6, "projection");
        std::vector<float> res(w.size());
        float maxRes = 0;
        for (std::size_t t = 0; t < w.size(); ++t) {
            res[t] = w[t] - dense[t];
            maxRes = std::max(maxRes, std::abs(res[t]));
        }
        // Row pieces of the residual (as a display reads them), at odd offsets.
        std::vector<float> piece(static_cast<std::size_t>(cols));
        for (int r = 0; r < rows; r += 3) {
            const int c0 = (r * 7) % cols, c1 = std::min(cols, c0 + 1 + (r * 13) % cols);
            p.residualRow(w, r, c0, c1, piece.data());
            CIRCNN_COMPARE_VECTORS(piece.data(), res.data() + std::size_t(r) * cols + c0, std::size_t(c1 - c0), 1e-6,
                                   "residual row");
        }
        const double expected = frob(res) / frob(w);
        QVERIFY2(std::abs(p.relativeResidual - expected) < 1e-6 * std::max(1.0, expected),
                 qPrintable(QString("%1 vs %2").arg(p.relativeResidual).arg(expected)));
        QCOMPARE(p.maxResidual, k == 1 ? 0.0f : maxRes);
        if (k == 1)
            QCOMPARE(p.relativeResidual, 0.0);
        // The single-threaded reference path gives the same vectors and figures.
        const MatrixProjection ref = projectMatrixReference(w, rows, cols, k, seg);
        QCOMPARE(ref.vectors, p.vectors);
        QCOMPARE(ref.maxResidual, p.maxResidual);
        QVERIFY(std::abs(ref.relativeResidual - p.relativeResidual) < 1e-9);
    }

    // A display reads the projection and the residual row by row: the same cells as the
    // materialised matrices.
    void downsampleFromRowsMatchesMaterialised()
    {
        const int rows = 70, cols = 96, k = 8;
        const auto w = test::randomVector(std::size_t(rows) * cols, 21);
        const MatrixProjection p = projectMatrix(w, rows, cols, k, 48);
        const std::vector<float> P = projectedMatrix(p);
        std::vector<float> R(w.size());
        for (std::size_t t = 0; t < w.size(); ++t)
            R[t] = w[t] - P[t];
        const MatrixRowSource projection = [&](std::int64_t r, std::int64_t c0, std::int64_t c1, float* scratch) {
            p.projectionRow(r, c0, c1, scratch);
            return static_cast<const float*>(scratch);
        };
        const MatrixRowSource residual = [&](std::int64_t r, std::int64_t c0, std::int64_t c1, float* scratch) {
            p.residualRow(w, r, c0, c1, scratch);
            return static_cast<const float*>(scratch);
        };
        for (int mode = 0; mode < 2; ++mode)
            for (const MatrixRegion region : {MatrixRegion{0, 0, rows, cols}, MatrixRegion{5, 17, 40, 61}}) {
                const auto m = DownsampleMode(mode);
                const auto a = downsampleRows(projection, rows, cols, region, 13, 11, m);
                const auto b = downsampleMatrix(P, rows, cols, region, 13, 11, m);
                QCOMPARE(a, b);
                const auto c = downsampleRows(residual, rows, cols, region, 7, 29, m);
                const auto d = downsampleMatrix(R, rows, cols, region, 7, 29, m);
                QCOMPARE(c, d);
            }
    }

    void segmentsProjectTapByTapLikeConvertModel()
    {
        // Conv2D 3x3, C_in 12, C_out 16; k = 8 does not divide C_in: each tap is padded on its own.
        test::SpecBuilder b({6, 6, 12}, "cnn");
        b.conv(12, 16, 3, 3, ActivationKind::Relu).name = "conv";
        b.simple(LayerKind::Flatten);
        b.dense(4 * 4 * 16, 4, ActivationKind::Softmax).name = "out";
        ModelSpec spec = b.done();
        const LayerSpec& conv = *spec.find("conv");
        QCOMPARE(tapCount(conv), std::int64_t(9));
        const WeightMatrixView tiled = layerMatrix(conv, -1);
        QCOMPARE(tiled.cols, std::int64_t(9 * 12));
        QCOMPARE(segmentColumns(conv, -1), std::int64_t(12));
        QCOMPARE(segmentColumns(conv, 3), std::int64_t(12));
        QCOMPARE(matrixRows(conv), tiled.rows);
        QCOMPARE(segmentColumns(*spec.find("out"), -1), std::int64_t(4 * 4 * 16));
        QCOMPARE(matrixRows(*spec.find("out")), std::int64_t(4));
        const MatrixProjection p = projectMatrix(tiled.values, tiled.rows, tiled.cols, 8, 12);
        QCOMPARE(p.blockCols, std::int64_t(9 * 2));
        // Tap 4 (centre) on its own equals segment 4 of the tiled projection.
        const WeightMatrixView tap = layerMatrix(conv, 4);
        QCOMPARE(tap.cols, std::int64_t(12));
        for (std::int64_t o = 0; o < tap.rows; ++o)
            for (std::int64_t c = 0; c < 12; ++c)
                QCOMPARE(tap.values[std::size_t(o * 12 + c)], tiled.values[std::size_t(o * tiled.cols + 4 * 12 + c)]);
        const MatrixProjection pt = projectMatrix(tap.values, tap.rows, tap.cols, 8);
        const std::vector<float> tapP = projectedMatrix(pt), allP = projectedMatrix(p);
        for (std::int64_t o = 0; o < tap.rows; ++o)
            for (std::int64_t c = 0; c < 12; ++c)
                QCOMPARE(tapP[std::size_t(o * 12 + c)], allP[std::size_t(o * p.cols + 48 + c)]);
        QCOMPARE(p.blockCol0(9), std::int64_t(4 * 12 + 8));
        // The residual over all taps is the one convertModel reports for the layer.
        ConversionRequest req;
        req.perLayer["conv"] = 8;
        const ConversionResult conv8 = convertModel(spec, req);
        for (const auto& l : conv8.layers)
            if (l.layer == "conv")
                QVERIFY2(std::abs(l.relativeResidual - p.relativeResidual) < 1e-5,
                         qPrintable(QString("%1 vs %2").arg(l.relativeResidual).arg(p.relativeResidual)));
        QVERIFY_THROWS_EXCEPTION(Error, layerMatrix(conv, 9));
    }

    void cancelStopsProjection()
    {
        const auto w = test::randomVector(256 * 256, 3);
        int calls = 0;
        QVERIFY_THROWS_EXCEPTION(
            Cancelled, projectMatrix(w, 256, 256, 4, 0, [&](std::size_t, std::size_t) { return ++calls < 3; }));
        QCOMPARE(calls, 3);
    }

    void blockDetailMatchesNaiveDft()
    {
        const int rows = 24, cols = 40, k = 8;
        const auto w = test::randomVector(std::size_t(rows) * cols, 5);
        const MatrixProjection p = projectMatrix(w, rows, cols, k);
        const BlockDetail d = blockDetail(p, w, 2, 3);
        const std::vector<float> P = projectedMatrix(p);
        QCOMPARE(d.row0, std::int64_t(16));
        QCOMPARE(d.col0, std::int64_t(24));
        QCOMPARE(d.magnitude.size(), std::size_t(k / 2 + 1));
        for (int f = 0; f <= k / 2; ++f) {
            std::complex<double> s = 0;
            for (int t = 0; t < k; ++t)
                s += double(d.vector[std::size_t(t)]) * std::polar(1.0, -2 * std::numbers::pi * f * t / k);
            QVERIFY(std::abs(d.magnitude[std::size_t(f)] - std::abs(s)) < 1e-5);
            if (std::abs(s) > 1e-4) {
                const double dphi = std::remainder(d.phase[std::size_t(f)] - std::arg(s), 2 * std::numbers::pi);
                QVERIFY(std::abs(dphi) < 1e-4);
            }
        }
        for (int r = 0; r < k; ++r)
            for (int c = 0; c < k; ++c) {
                QCOMPARE(d.original[std::size_t(r * k + c)], w[std::size_t((16 + r) * cols + 24 + c)]);
                QCOMPARE(d.circulant[std::size_t(r * k + c)], P[std::size_t((16 + r) * cols + 24 + c)]);
            }
        QVERIFY_THROWS_EXCEPTION(ShapeError, blockDetail(p, w, 3, 0));
    }

    void validSizes()
    {
        QCOMPARE(validBlockSizes(64, 784), (std::vector<std::int64_t>{1, 2, 4, 8, 16, 32, 64}));
        QCOMPARE(validBlockSizes(10, 12, 10), (std::vector<std::int64_t>{1, 2, 4, 8, 10}));
    }

    void downsampleMatchesPerCellLoop_data()
    {
        QTest::addColumn<int>("mode");
        QTest::newRow("mean") << int(DownsampleMode::Mean);
        QTest::newRow("max magnitude") << int(DownsampleMode::MaxMagnitude);
    }
    void downsampleMatchesPerCellLoop()
    {
        QFETCH(int, mode);
        const int rows = 53, cols = 71;
        auto w = test::randomVector(std::size_t(rows) * cols, 7);
        w[100] = NAN;
        w[7 * cols + 30] = INFINITY; // an infinity and its negative in one cell: skipped, not NaN
        w[7 * cols + 31] = -INFINITY;
        w[20 * cols + 40] = INFINITY;
        const MatrixRegion region{3, 5, 45, 60};
        const int outR = 7, outC = 13;
        const auto out = downsampleMatrix(w, rows, cols, region, outR, outC, DownsampleMode(mode));
        for (int y = 0; y < outR; ++y)
            for (int x = 0; x < outC; ++x) {
                double acc = 0;
                int n = 0;
                for (std::int64_t r = 3 + y * 45 / outR; r < 3 + (y + 1) * 45 / outR; ++r)
                    for (std::int64_t c = 5 + x * 60 / outC; c < 5 + (x + 1) * 60 / outC; ++c) {
                        const float v = w[std::size_t(r * cols + c)];
                        if (!std::isfinite(v))
                            continue;
                        if (mode == int(DownsampleMode::Mean))
                            acc += v;
                        else if (n == 0 || std::abs(v) > std::abs(acc))
                            acc = v;
                        ++n;
                    }
                const double expected = mode == int(DownsampleMode::Mean) ? acc / n : acc;
                QVERIFY(std::abs(out[std::size_t(y * outC + x)] - expected) < 1e-5);
            }
        // A full-resolution region is the identity.
        const auto same = downsampleMatrix(w, rows, cols, {0, 0, rows, cols}, rows, cols, DownsampleMode(mode));
        for (std::size_t t = 0; t < w.size(); ++t)
            QVERIFY(same[t] == w[t] || (std::isnan(same[t]) && !std::isfinite(w[t]))); // non-finite: NaN cell
        QVERIFY_THROWS_EXCEPTION(ShapeError,
                                 downsampleMatrix(w, rows, cols, {50, 0, 10, 10}, 2, 2, DownsampleMode::Mean));
    }

    void histogramMatchesPerValueLoop()
    {
        auto w = test::randomVector(1000, 9);
        w[3] = 0.0f;
        w[4] = INFINITY;
        const ValueHistogram h = valueHistogram(w, 10);
        QCOMPARE(h.count, std::int64_t(1000));
        QCOMPARE(h.finiteCount, std::int64_t(999));
        std::int64_t total = 0;
        for (auto c : h.bins)
            total += c;
        QCOMPARE(total, std::int64_t(999));
        double lo = 1e9, hi = -1e9, sum = 0;
        std::vector<std::int64_t> bins(10, 0);
        for (float v : w)
            if (std::isfinite(v)) {
                lo = std::min(lo, double(v));
                hi = std::max(hi, double(v));
                sum += v;
            }
        for (float v : w)
            if (std::isfinite(v))
                ++bins[std::size_t(std::min(9, int((v - lo) / ((hi - lo) / 10))))];
        QCOMPARE(h.bins, bins);
        QCOMPARE(h.min, lo);
        QCOMPARE(h.max, hi);
        QVERIFY(std::abs(h.mean - sum / 999) < 1e-9);
        QVERIFY(h.zeroFraction > 0);
        QVERIFY_THROWS_EXCEPTION(ShapeError, valueHistogram(w, 0));
    }

    // DepthwiseConv2D: no matrix; the explorer shows each channel's kh × kw filter (kernel
    // (kh, kw, C, M), output channel o = c·M + m) alone or tiled, and says why it stays dense.
    void depthwiseKernelPerChannel()
    {
        test::SpecBuilder b({5, 5, 3});
        b.depthwise(3, 3, 2, 2).name = "dw"; // C = 3, multiplier 2: 6 output channels of 3 × 2
        const ModelSpec spec = b.done();
        const LayerSpec& l = *spec.find("dw");
        QVERIFY(hasDepthwiseKernel(l) && !hasWeightMatrix(l));
        QCOMPARE(depthwiseChannels(l), std::int64_t(6));
        QCOMPARE(depthwiseTilesPerRow(l), std::int64_t(3));
        const Tensor& k = l.depthwiseKernel;
        for (std::int64_t o = 0; o < 6; ++o) {
            const WeightMatrixView v = layerMatrix(l, o);
            QCOMPARE(v.rows, std::int64_t(3));
            QCOMPARE(v.cols, std::int64_t(2));
            for (std::int64_t r = 0; r < 3; ++r)
                for (std::int64_t s = 0; s < 2; ++s)
                    QCOMPARE(v.values[std::size_t(r * 2 + s)], k[((r * 2 + s) * 3 + o / 2) * 2 + o % 2]);
            QVERIFY(v.description.find("stays dense") != std::string::npos);
        }
        // Tiled: 3 tiles per row, 2 tile rows → 6 × 6; channel 4 is tile row 1, column 1.
        const WeightMatrixView all = layerMatrix(l, -1);
        QCOMPARE(all.rows, std::int64_t(6));
        QCOMPARE(all.cols, std::int64_t(6));
        QCOMPARE(matrixRows(l), all.rows);
        QCOMPARE(segmentColumns(l, -1), all.cols);
        QCOMPARE(segmentColumns(l, 4), std::int64_t(2));
        const WeightMatrixView c4 = layerMatrix(l, 4);
        for (std::int64_t r = 0; r < 3; ++r)
            for (std::int64_t s = 0; s < 2; ++s)
                QCOMPARE(all.values[std::size_t((3 + r) * 6 + 2 + s)], c4.values[std::size_t(r * 2 + s)]);
        QVERIFY(all.description.find("no channel mixing") != std::string::npos);
        QVERIFY_THROWS_EXCEPTION(Error, layerMatrix(l, 6));
        // Seven channels: 3 per row, the last two tiles of the third row stay 0.
        test::SpecBuilder b7({4, 4, 7});
        b7.depthwise(7, 2, 2, 1).name = "dw7";
        const ModelSpec spec7 = b7.done();
        const WeightMatrixView t7 = layerMatrix(*spec7.find("dw7"), -1);
        QCOMPARE(t7.rows, std::int64_t(6));
        QCOMPARE(t7.cols, std::int64_t(6));
        for (std::int64_t r = 4; r < 6; ++r)
            for (std::int64_t c = 2; c < 6; ++c)
                QCOMPARE(t7.values[std::size_t(r * 6 + c)], 0.0f);
    }

    // MultiHeadAttention: no single matrix; the explorer picks one of its four projections, each
    // shown as W = Kᵀ of Keras' EinsumDense kernel read as 2-D (cross-attention sizes so that a
    // transposed or misread kernel shows).
    void attentionProjections()
    {
        LayerSpec l;
        l.name = "mha";
        l.kind = LayerKind::MultiHeadAttention;
        l.inputs = {"q", "v", "k"};
        l.numHeads = 2;
        l.keyDim = 3;
        l.valueDim = 2;
        l.units = 7;
        l.queryKernel = test::randomTensor({6, 2, 3}, 1);  // (d_q, heads, key_dim)
        l.keyKernel = test::randomTensor({5, 2, 3}, 2);    // (d_k, heads, key_dim)
        l.valueKernel = test::randomTensor({4, 2, 2}, 3);  // (d_v, heads, value_dim)
        l.outputKernel = test::randomTensor({2, 2, 7}, 4); // (heads, value_dim, out)
        QVERIFY(hasAttentionProjections(l) && !hasWeightMatrix(l));
        QCOMPARE(tapCount(l), std::int64_t(4));
        const Tensor* kernels[] = {&l.queryKernel, &l.keyKernel, &l.valueKernel, &l.outputKernel};
        const std::int64_t rows[] = {6, 6, 4, 7}, cols[] = {6, 5, 4, 4};
        for (std::int64_t p = 0; p < 4; ++p) {
            const WeightMatrixView v = layerMatrix(l, p);
            QCOMPARE(v.rows, rows[p]);
            QCOMPARE(v.cols, cols[p]);
            QCOMPARE(matrixRows(l, p), v.rows);
            QCOMPARE(segmentColumns(l, p), v.cols);
            QCOMPARE(storedBlockSize(l, p), std::int64_t(1));
            QVERIFY(v.description.find(attentionProjectionName(p)) == 0);
            const Tensor& k = *kernels[p];
            const std::int64_t d2 = k.dim(2);
            for (std::int64_t a = 0; a < k.dim(0); ++a)
                for (std::int64_t b = 0; b < k.dim(1); ++b)
                    for (std::int64_t c = 0; c < d2; ++c) {
                        // Input projections: row h·dim + c, column a (the input feature); the
                        // output projection: row c (the output), column a·value_dim + b.
                        const std::int64_t r = p < 3 ? b * d2 + c : c, col = p < 3 ? a : a * k.dim(1) + b;
                        QCOMPARE(v.values[std::size_t(r * v.cols + col)], k[(a * k.dim(1) + b) * d2 + c]);
                    }
        }
        QCOMPARE(layerMatrix(l, -1).values, layerMatrix(l, 0).values); // no matrix of all four
        QVERIFY_THROWS_EXCEPTION(Error, layerMatrix(l, 4));
        QVERIFY_THROWS_EXCEPTION(Error, segmentColumns(l, 4));
        // Block-circulant value projection at k = 2: shown expanded, its k stored.
        const WeightMatrixView value = layerMatrix(l, 2);
        const BlockCirculantMatrix bc = BlockCirculantMatrix::project(value.values, 4, 4, 2);
        CirculantWeights cw;
        cw.k = 2;
        cw.rows = 4;
        cw.cols = 4;
        cw.vectors = Tensor({2, 2, 2});
        std::copy(bc.vectors().begin(), bc.vectors().end(), cw.vectors.data());
        l.attentionCirculant[2] = cw;
        l.valueKernel = Tensor();
        QVERIFY(hasAttentionProjections(l));
        QCOMPARE(storedBlockSize(l, 2), std::int64_t(2));
        QCOMPARE(storedBlockSize(l, 1), std::int64_t(1));
        const WeightMatrixView expanded = layerMatrix(l, 2);
        QCOMPARE(expanded.blockSize, std::int64_t(2));
        QCOMPARE(expanded.values, bc.toDense());
        QCOMPARE(matrixRows(l, 2), std::int64_t(4));
        // Without its weights (architecture only) there is nothing to show.
        l.keyKernel = Tensor();
        QVERIFY(!hasAttentionProjections(l));
        QVERIFY_THROWS_EXCEPTION(Error, layerMatrix(l, 1));
    }
};

QTEST_APPLESS_MAIN(TestBlockInspect)
#include "TestBlockInspect.moc"
