// BlockCirculantMatrix against naive double-precision references (dense expansion written here,
// independently of the engine), finite differences, projection properties, threads and errors.

#include <QTest>

#include <cmath>
#include <complex>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "TestSupport.h"
#include "circulant/BlockCirculantMatrix.h"
#include "circulant/CirculantBenchmark.h"
#include "circulant/CirculantPhases.h"
#include "circulant/FftPlanCache.h"
#include "circulant/PerBinGemmReference.h"
#include "common/Error.h"
#include "common/Parallel.h"

using namespace circnn;
using Kernel = CirculantKernel;

Q_DECLARE_METATYPE(circnn::CirculantKernel)

namespace {

// The first-column convention written out: W[r][c] = w_(r/k, c/k)[(r%k − c%k) mod k].
std::vector<double> naiveDense(const std::vector<float>& w, std::int64_t m, std::int64_t n, std::int64_t k)
{
    const std::int64_t q = (n + k - 1) / k;
    std::vector<double> a(static_cast<std::size_t>(m * n));
    for (std::int64_t r = 0; r < m; ++r)
        for (std::int64_t c = 0; c < n; ++c)
            a[r * n + c] = w[((r / k) * q + c / k) * k + ((r % k) - (c % k) + k) % k];
    return a;
}

std::vector<float> naiveMultiply(const std::vector<double>& a, const std::vector<float>& x, std::int64_t m,
                                 std::int64_t n, std::int64_t batch, bool transposed)
{
    const std::int64_t in = transposed ? m : n, out = transposed ? n : m;
    std::vector<float> y(static_cast<std::size_t>(batch * out));
    for (std::int64_t b = 0; b < batch; ++b)
        for (std::int64_t o = 0; o < out; ++o) {
            double s = 0;
            for (std::int64_t t = 0; t < in; ++t)
                s += (transposed ? a[t * n + o] : a[o * n + t]) * x[b * in + t];
            y[b * out + o] = static_cast<float>(s);
        }
    return y;
}

// dL/dw for y = W x, given g = dL/dy: Σ over the batch and over block entries on each wrapped diagonal.
std::vector<float> naiveGradient(const std::vector<float>& x, const std::vector<float>& g, std::int64_t m,
                                 std::int64_t n, std::int64_t k, std::int64_t batch)
{
    const std::int64_t p = (m + k - 1) / k, q = (n + k - 1) / k;
    std::vector<double> acc(static_cast<std::size_t>(p * q * k), 0.0);
    for (std::int64_t b = 0; b < batch; ++b)
        for (std::int64_t r = 0; r < m; ++r)
            for (std::int64_t c = 0; c < n; ++c)
                acc[((r / k) * q + c / k) * k + ((r % k) - (c % k) + k) % k] +=
                    double(g[b * m + r]) * double(x[b * n + c]);
    return {acc.begin(), acc.end()};
}

std::int64_t blocks(std::int64_t m, std::int64_t n, std::int64_t k)
{
    return ((m + k - 1) / k) * ((n + k - 1) / k) * k;
}

constexpr double kTol = 1e-5;

} // namespace

class TestBlockCirculantMatrix : public QObject {
    Q_OBJECT
    std::filesystem::path m_wisdomPath;

private slots:
    void initTestCase()
    {
        // Corrupt wisdom must be tolerated silently, and replaced by good wisdom once plans are made.
        // One file per process: the SIMD and portable suites may run in parallel.
        const auto path = test::tempDir() / ("corrupt-wisdom-" + std::to_string(::getpid()) + ".fftwf");
        m_wisdomPath = path;
        std::ofstream(path) << "(fftw-3.3.10 fftwf_wisdom #x garbage (((";
        qputenv("CIRCNN_WISDOM_FILE", QByteArray::fromStdString(path.string()));
        QCOMPARE(FftPlanCache::wisdomPath(), path);
        BlockCirculantMatrix w(40, 24, 8, test::randomVector(blocks(40, 24, 8), 1));
        std::vector<float> x = test::randomVector(24, 2), y(40);
        w.multiply(x.data(), y.data());
        std::ifstream in(path);
        std::string head;
        std::getline(in, head);
        QVERIFY2(head.rfind("(fftw-3", 0) == 0, head.c_str());
        QVERIFY(head.find("garbage") == std::string::npos);
    }

    void cleanupTestCase()
    {
        std::error_code ec;
        std::filesystem::remove(m_wisdomPath, ec);
    }

    void firstColumnConvention()
    {
        // k = 3, one block, w = (1, 2, 3): column 0 is w, each column is the previous one rotated down.
        BlockCirculantMatrix w(3, 3, 3, std::vector<float>{1, 2, 3});
        const std::vector<float> expected{1, 3, 2, 2, 1, 3, 3, 2, 1};
        QCOMPARE(w.toDense(), expected);
        for (Kernel kernel : {Kernel::Fft, Kernel::Direct}) {
            w.setKernel(kernel);
            std::vector<float> e0{1, 0, 0}, y(3);
            w.multiply(e0.data(), y.data());
            CIRCNN_COMPARE_VECTORS(y.data(), w.vectors().data(), 3, kTol, "W·e0 = first column");
        }
        // Non-divisible: 5×4 with k = 3 -> 2×2 blocks; entry (4, 3) is block (1, 1), (1 − 0) mod 3 = 1.
        std::vector<float> v(12);
        for (int t = 0; t < 12; ++t)
            v[t] = float(t + 1);
        BlockCirculantMatrix b(5, 4, 3, v);
        QCOMPARE(b.blockRows(), 2);
        QCOMPARE(b.blockCols(), 2);
        QCOMPARE(b.toDense()[4 * 4 + 3], v[(1 * 2 + 1) * 3 + 1]);
        QCOMPARE(b.parameterCount(), 12);
        QCOMPARE(b.compression(), 20.0 / 12.0);
    }

    void blockSpectrumIsDftOfVector()
    {
        const std::int64_t k = 8;
        std::vector<float> v(2 * k, 0.0f);
        v[0] = 1.0f;     // block (0,0) = delta: flat spectrum
        v[k + 1] = 1.0f; // block (0,1) = shifted delta: exp(−2πi f/k)
        BlockCirculantMatrix w(8, 16, k, v);
        const auto s0 = w.blockSpectrum(0, 0), s1 = w.blockSpectrum(0, 1);
        QCOMPARE(s0.size(), std::size_t(k / 2 + 1));
        for (std::int64_t f = 0; f <= k / 2; ++f) {
            QVERIFY(std::abs(s0[f] - std::complex<float>(1, 0)) < 1e-6f);
            const double a = -2 * M_PI * double(f) / double(k);
            QVERIFY(std::abs(s1[f] - std::complex<float>(float(std::cos(a)), float(std::sin(a)))) < 1e-6f);
        }
        const auto mag = w.blockMagnitude(0, 1), ph = w.blockPhase(0, 1);
        QVERIFY(std::abs(mag[3] - 1.0f) < 1e-6f);
        QVERIFY(std::abs(ph[1] - float(-2 * M_PI / k)) < 1e-6f);
        QVERIFY_THROWS_EXCEPTION(ShapeError, w.blockSpectrum(1, 0));
    }

    void productsMatchDense_data()
    {
        QTest::addColumn<qint64>("m");
        QTest::addColumn<qint64>("n");
        QTest::addColumn<qint64>("k");
        QTest::addColumn<qint64>("batch");
        QTest::addColumn<Kernel>("kernel");
        const std::vector<std::pair<qint64, qint64>> shapes{{64, 64}, {48, 80}, {37, 53}, {300, 260}, {5, 270}};
        std::vector<qint64> ks{1, 2, 3, 4, 5, 7, 8, 16, 64, 256};
        for (auto [m, n] : shapes) {
            std::vector<qint64> kk = ks;
            kk.push_back(std::max(m, n));
            for (qint64 k : kk) {
                if (k > std::max(m, n))
                    continue;
                for (qint64 batch : {1, 5, 40})
                    for (Kernel kernel : {Kernel::Fft, Kernel::Direct}) {
                        if (kernel == Kernel::Direct && k > 64 && batch > 1)
                            continue; // O(k²) per block: keep the suite fast
                        // Batch 40: the batched forward paths (per-bin GEMM at k <= 8); once per shape
                        // for larger k.
                        if (batch == 40 && (kernel == Kernel::Direct || (k > 8 && k != 16)))
                            continue;
                        const std::string name = std::to_string(m) + "x" + std::to_string(n) + " k" +
                                                 std::to_string(k) + " b" + std::to_string(batch) + " " +
                                                 kernelName(kernel);
                        QTest::newRow(name.c_str()) << m << n << k << batch << kernel;
                    }
            }
        }
    }

    void productsMatchDense()
    {
        QFETCH(qint64, m);
        QFETCH(qint64, n);
        QFETCH(qint64, k);
        QFETCH(qint64, batch);
        QFETCH(Kernel, kernel);
        const auto seed = static_cast<std::uint32_t>(m * 7919 + n * 31 + k * 7 + batch);
        const auto v = test::randomVector(blocks(m, n, k), seed);
        BlockCirculantMatrix w(m, n, k, v);
        w.setKernel(kernel);
        QCOMPARE(w.kernel(), kernel);
        const auto ref = naiveDense(v, m, n, k);

        // Expansion is exact.
        const auto dense = w.toDense();
        QCOMPARE(dense.size(), ref.size());
        for (std::size_t t = 0; t < ref.size(); ++t)
            QCOMPARE(double(dense[t]), ref[t]);

        const auto x = test::randomVector(batch * n, seed + 1);
        const auto g = test::randomVector(batch * m, seed + 2);

        std::vector<float> y(batch * m, NAN);
        w.multiply(x.data(), y.data(), batch);
        const auto yRef = naiveMultiply(ref, x, m, n, batch, false);
        CIRCNN_COMPARE_VECTORS(y.data(), yRef.data(), y.size(), kTol, "multiply");

        std::vector<float> xt(batch * n, NAN);
        w.multiplyTransposed(g.data(), xt.data(), batch);
        const auto xtRef = naiveMultiply(ref, g, m, n, batch, true);
        CIRCNN_COMPARE_VECTORS(xt.data(), xtRef.data(), xt.size(), kTol, "multiplyTransposed");

        std::vector<float> grad(v.size(), NAN);
        w.vectorGradient(x.data(), g.data(), batch, grad.data());
        const auto gradRef = naiveGradient(x, g, m, n, k, batch);
        CIRCNN_COMPARE_VECTORS(grad.data(), gradRef.data(), grad.size(), kTol, "vectorGradient");

        // A row's result does not depend on the batch it is part of (bit-identical row by row), except
        // that forward products of >= 32 rows at k <= 8 (16) take the per-bin GEMM path (other rounding).
        if (batch > 1) {
            std::vector<float> yRow(m), xtRow(n);
            for (std::int64_t b = 0; b < batch; ++b) {
                w.multiply(x.data() + b * n, yRow.data(), 1);
                w.multiplyTransposed(g.data() + b * m, xtRow.data(), 1);
                if (batch < 32 || k > 16)
                    QVERIFY(std::equal(yRow.begin(), yRow.end(), y.begin() + b * m));
                else
                    CIRCNN_COMPARE_VECTORS(yRow.data(), y.data() + b * m, m, kTol, "row vs batch");
                QVERIFY(std::equal(xtRow.begin(), xtRow.end(), xt.begin() + b * n));
            }
        }

        // The kept-spectra overloads give bit-identical results.
        InputSpectra keep;
        std::vector<float> y2(batch * m, NAN), grad2(v.size(), NAN);
        w.multiply(x.data(), y2.data(), batch, keep);
        QCOMPARE(keep.batch(), batch);
        QVERIFY(y2 == y);
        w.vectorGradient(keep, g.data(), batch, grad2.data());
        QVERIFY(grad2 == grad);

        // Rows aligned like FFTW's planning arrays are transformed in place of a copy (and outputs
        // written straight from the inverse transform): results are bit-identical to misaligned rows.
        AlignedVector<float> xa(x.size() + 1), ya(y.size() + 1);
        std::copy(x.begin(), x.end(), xa.begin());
        w.multiply(xa.data(), ya.data(), batch);
        QVERIFY(std::equal(y.begin(), y.end(), ya.begin()));
        std::copy(x.begin(), x.end(), xa.begin() + 1);
        w.multiply(xa.data() + 1, ya.data() + 1, batch);
        QVERIFY(std::equal(y.begin(), y.end(), ya.begin() + 1));
    }

    void cacheBlockedProductsMatchDense_data()
    {
        QTest::addColumn<qint64>("m");
        QTest::addColumn<qint64>("n");
        QTest::addColumn<qint64>("k");
        QTest::addColumn<qint64>("batch");
        // Shapes large enough for the batched slot-lane product to split both the input blocks
        // (q > 64 per j-block) and the output block rows (weights of a j-block beyond one L2 slab),
        // with k that does not divide m or n (padding) and odd k; batches with row pairs, a lone
        // row, and more than one chunk of rows.
        for (qint64 k : {16, 17, 24, 32})
            for (qint64 batch : {1, 7, 40})
                QTest::newRow(("1100x2200 k" + std::to_string(k) + " b" + std::to_string(batch)).c_str())
                    << qint64(1100) << qint64(2200) << k << batch;
        QTest::newRow("2100x1300 k40 b9") << qint64(2100) << qint64(1300) << qint64(40) << qint64(9);
    }

    void cacheBlockedProductsMatchDense()
    {
        QFETCH(qint64, m);
        QFETCH(qint64, n);
        QFETCH(qint64, k);
        QFETCH(qint64, batch);
        const auto seed = static_cast<std::uint32_t>(m + n * 3 + k * 5 + batch * 7);
        const auto v = test::randomVector(blocks(m, n, k), seed);
        const BlockCirculantMatrix w(m, n, k, v);
        QCOMPARE(w.kernel(), Kernel::Fft);
        const auto x = test::randomVector(batch * n, seed + 1);
        std::vector<float> y(batch * m, NAN);
        w.multiply(x.data(), y.data(), batch);
        const auto yRef = naiveMultiply(naiveDense(v, m, n, k), x, m, n, batch, false);
        CIRCNN_COMPARE_VECTORS(y.data(), yRef.data(), y.size(), kTol, "multiply");
        // Row by row (one pass, no blocking) and through kept spectra: bit-identical, unless the
        // batch takes the per-bin GEMM path (k = 16 with AVX-512 OpenBLAS kernels).
        const bool binGemm = batch >= 32 && k <= 16;
        std::vector<float> yRow(m);
        for (std::int64_t b = 0; b < batch; ++b) {
            w.multiply(x.data() + b * n, yRow.data(), 1);
            if (binGemm)
                CIRCNN_COMPARE_VECTORS(yRow.data(), y.data() + b * m, m, kTol, "row vs batch");
            else
                QVERIFY2(std::equal(yRow.begin(), yRow.end(), y.begin() + b * m), ("row " + std::to_string(b)).c_str());
        }
        InputSpectra keep;
        std::vector<float> y2(batch * m, NAN);
        w.multiply(x.data(), y2.data(), batch, keep);
        QVERIFY(y2 == y);
    }

    void weightsDoNotDependOnThreads_data()
    {
        QTest::addColumn<qint64>("k");
        for (qint64 k : {4, 16, 33, 64})
            QTest::newRow(("k" + std::to_string(k)).c_str()) << k;
    }

    void weightsDoNotDependOnThreads()
    {
        // The weight spectra are computed over all cores (block rows split between threads), at
        // construction and in setVectors(): products must not depend on the thread count.
        QFETCH(qint64, k);
        const std::int64_t m = 700, n = 500, batch = 40;
        const auto v = test::randomVector(blocks(m, n, k), 71), v2 = test::randomVector(blocks(m, n, k), 72);
        const auto x = test::randomVector(batch * n, 73), g = test::randomVector(batch * m, 74);
        auto run = [&](std::size_t threads) {
            setWorkerCount(threads);
            BlockCirculantMatrix w(m, n, k, v);
            std::vector<float> out(batch * (m + n), NAN);
            w.multiply(x.data(), out.data(), batch);
            w.setVectors(v2);
            w.multiplyTransposed(g.data(), out.data() + batch * m, batch);
            setWorkerCount(0);
            return out;
        };
        const auto one = run(1), four = run(4);
        QVERIFY(one == four);
        const auto yRef = naiveMultiply(naiveDense(v, m, n, k), x, m, n, batch, false);
        CIRCNN_COMPARE_VECTORS(one.data(), yRef.data(), batch * m, kTol, "multiply");
        const auto xtRef = naiveMultiply(naiveDense(v2, m, n, k), g, m, n, batch, true);
        CIRCNN_COMPARE_VECTORS(one.data() + batch * m, xtRef.data(), batch * n, kTol, "multiplyTransposed");
    }

    void benchmarkVariantsMatchDense_data() { productsMatchDense_data(); }

    void benchmarkVariantsMatchDense()
    {
        // The phase breakdown (CirculantPhases) and the per-bin cgemm reference of `circnn bench`
        // against the naive dense product.
        QFETCH(qint64, m);
        QFETCH(qint64, n);
        QFETCH(qint64, k);
        QFETCH(qint64, batch);
        QFETCH(Kernel, kernel);
        const auto seed = static_cast<std::uint32_t>(m * 131 + n * 17 + k * 3 + batch);
        const auto v = test::randomVector(blocks(m, n, k), seed);
        const auto xv = test::randomVector(batch * n, seed + 1);
        const AlignedVector<float> x(xv.begin(), xv.end());
        const auto yRef = naiveMultiply(naiveDense(v, m, n, k), xv, m, n, batch, false);
        BlockCirculantMatrix w(m, n, k, v);
        w.setKernel(kernel);
        if (kernel == Kernel::Fft) {
            CirculantPhases phases(w, x.data(), batch);
            phases.forwardTransforms();
            phases.multiplyAccumulate();
            phases.inverseTransforms();
            const auto y = phases.assembledProduct();
            CIRCNN_COMPARE_VECTORS(y.data(), yRef.data(), y.size(), kTol, "phases");
            std::vector<float> yFull(y.size());
            w.multiply(x.data(), yFull.data(), batch);
            if (batch < 32 || k > 16) // (else the full call may take the per-bin GEMM path)
                QVERIFY(yFull == y);  // the phases are the full call's own steps
        } else {
            QVERIFY_THROWS_EXCEPTION(ShapeError, CirculantPhases(w, x.data(), batch));
        }
        PerBinGemmReference reference(m, n, k, v, batch);
        AlignedVector<float> y(batch * m, NAN);
        reference.multiply(x.data(), y.data());
        CIRCNN_COMPARE_VECTORS(y.data(), yRef.data(), y.size(), kTol, "per-bin cgemm reference");
    }

    void gradientOfLargeBatchIsChunked_data()
    {
        QTest::addColumn<qint64>("k");
        QTest::addColumn<Kernel>("kernel");
        QTest::newRow("k4 fft") << qint64(4) << Kernel::Fft;
        QTest::newRow("k16 fft") << qint64(16) << Kernel::Fft;
        QTest::newRow("k3 direct") << qint64(3) << Kernel::Direct;
    }

    void gradientOfLargeBatchIsChunked()
    {
        // More rows than one gradient chunk (256): the chunked sum must equal the reference.
        QFETCH(qint64, k);
        QFETCH(Kernel, kernel);
        const std::int64_t m = 13, n = 21, batch = 601;
        const auto v = test::randomVector(blocks(m, n, k), 51);
        BlockCirculantMatrix w(m, n, k, v);
        w.setKernel(kernel);
        const auto x = test::randomVector(batch * n, 52), g = test::randomVector(batch * m, 53);
        std::vector<float> grad(v.size(), NAN);
        w.vectorGradient(x.data(), g.data(), batch, grad.data());
        const auto ref = naiveGradient(x, g, m, n, k, batch);
        CIRCNN_COMPARE_VECTORS(grad.data(), ref.data(), grad.size(), kTol, "chunked vectorGradient");
    }

    // Inputs assembled from segment spectra ("im2col in the frequency domain") against the same
    // rows written out in the time domain and multiplied by the ordinary entry points. Held within
    // float tolerance (the segment FFT plan covers fewer blocks than the row plan, and FFTW may pick
    // other codelets for it); the gathered two-step and fused forms are held bit-identical.
    void gatheredSegmentsMatchRows_data()
    {
        QTest::addColumn<qint64>("m");
        QTest::addColumn<qint64>("k");
        QTest::addColumn<qint64>("segmentBlocks"); // segmentCols = segmentBlocks·k
        QTest::addColumn<qint64>("len");           // values per segment (rest zero)
        QTest::addColumn<qint64>("per");           // segments per row (n = per·segmentCols)
        QTest::addColumn<qint64>("batch");
        QTest::addColumn<Kernel>("kernel");
        for (qint64 k : {1, 2, 3, 4, 5, 8, 16})
            for (qint64 batch : {1, 37}) // 37 > one forward chunk (16 rows)
                for (Kernel kernel : {Kernel::Auto, Kernel::Fft, Kernel::Direct}) {
                    if (kernel == BlockCirculantMatrix::autoKernel(k))
                        continue; // covered by Auto
                    // m not a multiple of k; len not a multiple of k (channels padded inside the
                    // segment), except a full segment; 9 segments like a 3×3 kernel, and 2.
                    const qint64 blocksPer = k >= 8 ? 2 : 3;
                    const qint64 m = 3 * k + 1 + (k > 1 ? 1 : 0);
                    for (auto [len, per] :
                         {std::pair<qint64, qint64>{blocksPer * k - (k > 1 ? k / 2 : 0), 9},
                          std::pair<qint64, qint64>{blocksPer * k, 2}, std::pair<qint64, qint64>{1, 9}}) {
                        std::ostringstream name;
                        name << "k" << k << " m" << m << " len" << len << "/" << blocksPer * k << " x" << per << " b"
                             << batch << " " << kernelName(kernel);
                        QTest::newRow(name.str().c_str()) << m << k << blocksPer << len << per << batch << kernel;
                    }
                }
    }

    void gatheredSegmentsMatchRows()
    {
        QFETCH(qint64, m);
        QFETCH(qint64, k);
        QFETCH(qint64, segmentBlocks);
        QFETCH(qint64, len);
        QFETCH(qint64, per);
        QFETCH(qint64, batch);
        QFETCH(Kernel, kernel);
        const std::int64_t segCols = segmentBlocks * k, n = per * segCols;
        const auto seed = static_cast<std::uint32_t>(k * 101 + len * 7 + per * 3 + batch);
        const auto v = test::randomVector(blocks(m, n, k), seed);
        BlockCirculantMatrix w(m, n, k, v);
        w.setKernel(kernel);

        // Distinct segments: `len` values each, stored `stride` apart (stride > len: gaps are ignored).
        const std::int64_t count = 11, stride = len + 2;
        const auto values = test::randomVector(count * stride, seed + 1);
        // Indices: a fixed pseudo-random pattern with some zero (−1) segments.
        std::vector<std::int64_t> index(static_cast<std::size_t>(batch * per));
        for (std::size_t t = 0; t < index.size(); ++t)
            index[t] = (t * 7 + t / 3) % 5 == 0 ? -1 : static_cast<std::int64_t>((t * 5 + 3) % count);
        // The same rows in the time domain.
        std::vector<float> x(static_cast<std::size_t>(batch * n), 0.0f);
        for (std::int64_t b = 0; b < batch; ++b)
            for (std::int64_t t = 0; t < per; ++t)
                if (const std::int64_t s = index[b * per + t]; s >= 0)
                    std::copy_n(values.data() + s * stride, len, x.data() + b * n + t * segCols);

        InputSpectra segments;
        w.prepareSegments(values.data(), count, len, stride, segCols, segments);
        QCOMPARE(segments.batch(), count);
        QCOMPARE(segments.segmentCols(), segCols);

        std::vector<float> yRef(batch * m, NAN), yFused(batch * m, NAN), yTwo(batch * m, NAN);
        w.multiply(x.data(), yRef.data(), batch);
        w.multiplyGathered(segments, index, batch, yFused.data());
        CIRCNN_COMPARE_VECTORS(yFused.data(), yRef.data(), yRef.size(), kTol, "multiplyGathered vs multiply");

        InputSpectra gathered;
        w.gatherSegments(segments, index, batch, gathered);
        QCOMPARE(gathered.batch(), batch);
        QCOMPARE(gathered.cols(), n);
        QCOMPARE(gathered.segmentCols(), std::int64_t(0));
        w.multiply(gathered, yTwo.data());
        QVERIFY(yTwo == yFused);

        // The gathered spectra serve the weight gradient like kept spectra of the rows.
        const auto g = test::randomVector(batch * m, seed + 2);
        std::vector<float> gradRef(v.size(), NAN), grad(v.size(), NAN);
        w.vectorGradient(x.data(), g.data(), batch, gradRef.data());
        w.vectorGradient(gathered, g.data(), batch, grad.data());
        CIRCNN_COMPARE_VECTORS(grad.data(), gradRef.data(), grad.size(), kTol, "vectorGradient(gathered)");

        // multiply(InputSpectra) on prepareInput spectra is the ordinary product, bit for bit.
        InputSpectra kept;
        w.prepareInput(x.data(), batch, kept);
        std::vector<float> yKept(batch * m, NAN);
        w.multiply(kept, yKept.data());
        QVERIFY(yKept == yRef);

        // Misuse is a ShapeError, not a crash.
        std::vector<std::int64_t> shortIndex(index.begin(), index.end() - 1);
        QVERIFY_THROWS_EXCEPTION(ShapeError, w.multiplyGathered(segments, shortIndex, batch, yFused.data()));
        std::vector<std::int64_t> badIndex = index;
        badIndex[0] = count;
        QVERIFY_THROWS_EXCEPTION(ShapeError, w.gatherSegments(segments, badIndex, batch, gathered));
        QVERIFY_THROWS_EXCEPTION(ShapeError, w.multiply(segments, yFused.data()));
        QVERIFY_THROWS_EXCEPTION(ShapeError, w.vectorGradient(segments, g.data(), count, grad.data()));
        QVERIFY_THROWS_EXCEPTION(ShapeError, w.multiplyGathered(kept, index, batch, yFused.data()));
        QVERIFY_THROWS_EXCEPTION(ShapeError, w.prepareSegments(values.data(), count, len, stride, segCols + 1, kept));
        QVERIFY_THROWS_EXCEPTION(ShapeError,
                                 w.prepareSegments(values.data(), count, segCols + 1, stride, segCols, kept));
        BlockCirculantMatrix other(m, n, k, v);
        other.setKernel(w.kernel() == Kernel::Fft ? Kernel::Direct : Kernel::Fft);
        QVERIFY_THROWS_EXCEPTION(ShapeError, other.multiply(gathered, yFused.data()));
        QVERIFY_THROWS_EXCEPTION(ShapeError, other.multiplyGathered(segments, index, batch, yFused.data()));
    }

    void kernelsAgree_data()
    {
        QTest::addColumn<qint64>("m");
        QTest::addColumn<qint64>("n");
        QTest::addColumn<qint64>("k");
        for (qint64 k : {1, 2, 3, 4, 5, 6, 9, 12})
            QTest::newRow(("k" + std::to_string(k)).c_str()) << qint64(29) << qint64(41) << k;
    }

    void kernelsAgree()
    {
        QFETCH(qint64, m);
        QFETCH(qint64, n);
        QFETCH(qint64, k);
        const auto v = test::randomVector(blocks(m, n, k), 5);
        BlockCirculantMatrix fft(m, n, k, v), direct(m, n, k, v);
        fft.setKernel(Kernel::Fft);
        direct.setKernel(Kernel::Direct);
        QCOMPARE(BlockCirculantMatrix(m, n, k, v).kernel(), BlockCirculantMatrix::autoKernel(k));
        const std::int64_t batch = 6;
        const auto x = test::randomVector(batch * n, 6);
        std::vector<float> y1(batch * m), y2(batch * m);
        fft.multiply(x.data(), y1.data(), batch);
        direct.multiply(x.data(), y2.data(), batch);
        CIRCNN_COMPARE_VECTORS(y1.data(), y2.data(), y1.size(), kTol, "fft vs direct");
    }

    void projection_data()
    {
        QTest::addColumn<qint64>("m");
        QTest::addColumn<qint64>("n");
        QTest::addColumn<qint64>("k");
        for (auto [m, n] : std::vector<std::pair<qint64, qint64>>{{32, 32}, {24, 40}, {37, 53}, {7, 30}})
            for (qint64 k : {1, 2, 3, 4, 5, 8, 16})
                if (k <= std::max(m, n))
                    QTest::newRow((std::to_string(m) + "x" + std::to_string(n) + " k" + std::to_string(k)).c_str())
                        << m << n << k;
        QTest::newRow("7x30 k30") << qint64(7) << qint64(30) << qint64(30);
    }

    void projection()
    {
        QFETCH(qint64, m);
        QFETCH(qint64, n);
        QFETCH(qint64, k);
        const auto a = test::randomVector(m * n, static_cast<std::uint32_t>(m * 100 + n * 10 + k));
        const auto pa = BlockCirculantMatrix::project(a, m, n, k);
        const auto paDense = pa.toDense();

        if (k == 1) {
            QVERIFY(paDense == a); // k = 1 is the identity map
            return;
        }

        // Idempotent: projecting a block-circulant matrix returns its defining vectors.
        const auto ppa = BlockCirculantMatrix::project(paDense, m, n, k);
        const auto v1 = pa.vectors(), v2 = ppa.vectors();
        CIRCNN_COMPARE_VECTORS(v2.data(), v1.data(), v1.size(), 1e-6, "idempotence");

        // The residual A − P(A) is orthogonal to every block-circulant matrix (over the unpadded entries).
        double normA = 0, residualNorm = 0;
        for (std::int64_t t = 0; t < m * n; ++t) {
            normA += double(a[t]) * a[t];
            residualNorm += (double(a[t]) - paDense[t]) * (double(a[t]) - paDense[t]);
        }
        QVERIFY(residualNorm > 1e-3 * normA); // random dense matrices are not block-circulant
        for (std::uint32_t s = 0; s < 3; ++s) {
            const auto bv = test::randomVector(blocks(m, n, k), 900 + s);
            const auto bd = naiveDense(bv, m, n, k);
            double dot = 0, normB = 0;
            for (std::int64_t t = 0; t < m * n; ++t) {
                dot += (double(a[t]) - paDense[t]) * bd[t];
                normB += bd[t] * bd[t];
            }
            QVERIFY2(std::abs(dot) <= 1e-6 * std::sqrt(normA * normB),
                     ("inner product " + std::to_string(dot)).c_str());
        }
        // And projection is not the trivial map: a block-circulant matrix with the same padded layout
        // but another vector gives a larger residual.
        auto other = std::vector<float>(v1.begin(), v1.end());
        other[0] += 0.5f;
        const auto od = naiveDense(other, m, n, k);
        double otherNorm = 0;
        for (std::int64_t t = 0; t < m * n; ++t)
            otherNorm += (double(a[t]) - od[t]) * (double(a[t]) - od[t]);
        QVERIFY(otherNorm > residualNorm);
    }

    void gradientsMatchFiniteDifferences_data()
    {
        QTest::addColumn<qint64>("k");
        QTest::addColumn<Kernel>("kernel");
        for (qint64 k : {1, 3, 4, 8, 16})
            for (Kernel kernel : {Kernel::Fft, Kernel::Direct})
                QTest::newRow((std::to_string(k) + " " + kernelName(kernel)).c_str()) << k << kernel;
    }

    void gradientsMatchFiniteDifferences()
    {
        // L(w, x) = ½ Σ_b ‖W x_b − t_b‖², evaluated in double; central differences with step h.
        QFETCH(qint64, k);
        QFETCH(Kernel, kernel);
        const std::int64_t m = 19, n = 22, batch = 2;
        auto v = test::randomVector(blocks(m, n, k), 11);
        auto x = test::randomVector(batch * n, 12);
        const auto t = test::randomVector(batch * m, 13);
        auto loss = [&](const std::vector<float>& vv, const std::vector<float>& xx) {
            const auto a = naiveDense(vv, m, n, k);
            double l = 0;
            for (std::int64_t b = 0; b < batch; ++b)
                for (std::int64_t r = 0; r < m; ++r) {
                    double s = -t[b * m + r];
                    for (std::int64_t c = 0; c < n; ++c)
                        s += a[r * n + c] * xx[b * n + c];
                    l += 0.5 * s * s;
                }
            return l;
        };
        BlockCirculantMatrix w(m, n, k, v);
        w.setKernel(kernel);
        std::vector<float> y(batch * m), g(batch * m);
        w.multiply(x.data(), y.data(), batch);
        for (std::int64_t i = 0; i < batch * m; ++i)
            g[i] = y[i] - t[i];
        std::vector<float> gradW(v.size()), gradX(batch * n);
        w.vectorGradient(x.data(), g.data(), batch, gradW.data());
        w.multiplyTransposed(g.data(), gradX.data(), batch);

        const float h = 1e-2f; // L is quadratic: central differences are exact up to rounding
        for (std::size_t idx = 0; idx < v.size(); idx += std::max<std::size_t>(1, v.size() / 17)) {
            auto vp = v, vm = v;
            vp[idx] += h;
            vm[idx] -= h;
            const double fd = (loss(vp, x) - loss(vm, x)) / (double(vp[idx]) - double(vm[idx]));
            QVERIFY2(
                std::abs(fd - gradW[idx]) <= 1e-3 * std::max(1.0, std::abs(fd)),
                ("dL/dw[" + std::to_string(idx) + "] fd " + std::to_string(fd) + " vs " + std::to_string(gradW[idx]))
                    .c_str());
        }
        for (std::size_t idx = 0; idx < x.size(); idx += 3) {
            auto xp = x, xm = x;
            xp[idx] += h;
            xm[idx] -= h;
            const double fd = (loss(v, xp) - loss(v, xm)) / (double(xp[idx]) - double(xm[idx]));
            QVERIFY2(
                std::abs(fd - gradX[idx]) <= 1e-3 * std::max(1.0, std::abs(fd)),
                ("dL/dx[" + std::to_string(idx) + "] fd " + std::to_string(fd) + " vs " + std::to_string(gradX[idx]))
                    .c_str());
        }
    }

    void setVectorsAndCopies()
    {
        const std::int64_t m = 30, n = 20, k = 6;
        const auto v1 = test::randomVector(blocks(m, n, k), 21), v2 = test::randomVector(blocks(m, n, k), 22);
        BlockCirculantMatrix a(m, n, k, v1);
        BlockCirculantMatrix b = a;
        b.setVectors(v2);
        const auto x = test::randomVector(n, 23);
        std::vector<float> ya(m), yb(m);
        a.multiply(x.data(), ya.data());
        b.multiply(x.data(), yb.data());
        const auto refA = naiveMultiply(naiveDense(v1, m, n, k), x, m, n, 1, false);
        const auto refB = naiveMultiply(naiveDense(v2, m, n, k), x, m, n, 1, false);
        CIRCNN_COMPARE_VECTORS(ya.data(), refA.data(), m, kTol, "original unchanged");
        CIRCNN_COMPARE_VECTORS(yb.data(), refB.data(), m, kTol, "copy updated");
        BlockCirculantMatrix c = std::move(b);
        std::vector<float> yc(m);
        c.multiply(x.data(), yc.data());
        QVERIFY(yc == yb);
        a = c;
        a.multiply(x.data(), ya.data());
        QVERIFY(ya == yb);
    }

    void concurrentProductsAreBitIdentical_data()
    {
        QTest::addColumn<qint64>("k");
        QTest::addColumn<qint64>("batch");
        for (qint64 k : {3, 16, 64})
            QTest::newRow(("k" + std::to_string(k)).c_str()) << k << qint64(5);
        // Batches of >= 32 rows at small k: the per-bin GEMM path (OpenBLAS called from several threads).
        QTest::newRow("k4 b40") << qint64(4) << qint64(40);
    }

    void concurrentProductsAreBitIdentical()
    {
        QFETCH(qint64, k);
        QFETCH(qint64, batch);
        const std::int64_t m = 200, n = 150;
        const BlockCirculantMatrix w(m, n, k, test::randomVector(blocks(m, n, k), 31));
        const auto x = test::randomVector(batch * n, 32);
        const auto g = test::randomVector(batch * m, 33);
        std::vector<float> y(batch * m), xt(batch * n), grad(w.parameterCount());
        w.multiply(x.data(), y.data(), batch);
        w.multiplyTransposed(g.data(), xt.data(), batch);
        w.vectorGradient(x.data(), g.data(), batch, grad.data());

        const int threads = 4;
        std::vector<int> ok(threads, 0);
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                bool good = true;
                for (int rep = 0; rep < 20; ++rep) {
                    std::vector<float> y2(y.size()), xt2(xt.size()), grad2(grad.size());
                    w.multiply(x.data(), y2.data(), batch);
                    w.multiplyTransposed(g.data(), xt2.data(), batch);
                    w.vectorGradient(x.data(), g.data(), batch, grad2.data());
                    good = good && y2 == y && xt2 == xt && grad2 == grad;
                }
                ok[t] = good;
            });
        for (auto& th : pool)
            th.join();
        for (int t = 0; t < threads; ++t)
            QVERIFY2(ok[t], ("thread " + std::to_string(t) + " differs").c_str());
    }

    void benchmarkRowsAreComplete()
    {
        // The harness itself (no timing assertions): every requested row, both products agree.
        BenchConfig config;
        config.shapes = {{40, 72}};
        config.blockSizes = {1, 4, 16, 100}; // 100 > max(m, n): skipped
        config.batches = {1, 3};
        config.repeat = 1;
        config.minSampleSeconds = 1e-5;
        config.cold = true;
        config.coldFlushBytes = 1 << 20;
        int seen = 0;
        const auto rows = runCirculantBenchmark(config, [&](const BenchRow&) { ++seen; });
        QCOMPARE(rows.size(), std::size_t(6));
        QCOMPARE(seen, 6);
        for (const auto& r : rows) {
            QCOMPARE(r.rows, 40);
            QCOMPARE(r.cols, 72);
            QVERIFY(r.denseUs > 0 && r.circulantUs > 0 && r.denseColdUs > 0 && r.circulantColdUs > 0);
            QVERIFY(std::abs(r.speedup - r.denseUs / r.circulantUs) < 1e-9 * r.speedup);
            QVERIFY2(r.maxRelDiff < 1e-5, std::to_string(r.maxRelDiff).c_str());
            QCOMPARE(r.kernel, std::string(kernelName(BlockCirculantMatrix::autoKernel(r.blockSize))));
        }
        config.repeat = 0;
        QVERIFY_THROWS_EXCEPTION(ShapeError, runCirculantBenchmark(config));
    }

    void concurrentConstructionPlansSafely()
    {
        // Matrices of different shapes built at once from several threads: the plan cache serialises
        // FFTW's planner; every product must still match the reference.
        const int threads = 4;
        std::vector<int> ok(threads, 0);
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                bool good = true;
                for (int rep = 0; rep < 3; ++rep) {
                    const std::int64_t m = 23 + 5 * t + rep, n = 31 + 3 * t, k = 2 + t + 3 * rep;
                    const auto v = test::randomVector(blocks(m, n, k), 60 + t);
                    const BlockCirculantMatrix w(m, n, k, v);
                    const auto x = test::randomVector(n, 70 + t);
                    std::vector<float> y(m);
                    w.multiply(x.data(), y.data());
                    const auto ref = naiveMultiply(naiveDense(v, m, n, k), x, m, n, 1, false);
                    good = good && test::compareVectors(y.data(), ref.data(), m, kTol).firstBad < 0;
                }
                ok[t] = good;
            });
        for (auto& th : pool)
            th.join();
        for (int t = 0; t < threads; ++t)
            QVERIFY2(ok[t], ("thread " + std::to_string(t) + " wrong product").c_str());
    }

    void errors()
    {
        const auto v = test::randomVector(blocks(10, 12, 4), 41);
        QVERIFY_THROWS_EXCEPTION(ShapeError, BlockCirculantMatrix(10, 12, 0, v));
        QVERIFY_THROWS_EXCEPTION(ShapeError, BlockCirculantMatrix(10, 12, 13, v));
        QVERIFY_THROWS_EXCEPTION(ShapeError, BlockCirculantMatrix(10, 12, -2, v));
        QVERIFY_THROWS_EXCEPTION(ShapeError, BlockCirculantMatrix(10, 12, 4, std::span(v).first(v.size() - 1)));
        QVERIFY_THROWS_EXCEPTION(ShapeError, BlockCirculantMatrix(0, 12, 4, {}));
        QVERIFY_THROWS_EXCEPTION(ShapeError, BlockCirculantMatrix(10, 0, 4, {}));
        QVERIFY_THROWS_EXCEPTION(ShapeError, BlockCirculantMatrix::project(std::vector<float>(10 * 12), 10, 12, 0));
        QVERIFY_THROWS_EXCEPTION(ShapeError, BlockCirculantMatrix::project(std::vector<float>(10 * 11), 10, 12, 4));
        QVERIFY_THROWS_EXCEPTION(ShapeError, BlockCirculantMatrix::project({}, 0, 0, 1));
        try {
            BlockCirculantMatrix(10, 12, 13, v);
        } catch (const ShapeError& e) {
            const std::string what = e.what();
            QVERIFY2(what.find("13") != std::string::npos && what.find("12") != std::string::npos, e.what());
        }
        BlockCirculantMatrix w(10, 12, 4, v);
        QVERIFY_THROWS_EXCEPTION(ShapeError, w.setVectors(std::vector<float>(5)));
        std::vector<float> x(12), y(10);
        QVERIFY_THROWS_EXCEPTION(ShapeError, w.multiply(x.data(), y.data(), -1));
        QVERIFY_THROWS_EXCEPTION(ShapeError, w.multiply(nullptr, y.data(), 1));
        w.multiply(nullptr, nullptr, 0); // an empty batch is fine
        InputSpectra keep;
        w.prepareInput(x.data(), 1, keep);
        std::vector<float> grad(v.size());
        QVERIFY_THROWS_EXCEPTION(ShapeError, w.vectorGradient(keep, y.data(), 2, grad.data()));
        BlockCirculantMatrix other(10, 12, 6, test::randomVector(blocks(10, 12, 6), 42));
        QVERIFY_THROWS_EXCEPTION(ShapeError, other.vectorGradient(keep, y.data(), 1, grad.data()));
    }
};

QTEST_APPLESS_MAIN(TestBlockCirculantMatrix)
#include "TestBlockCirculantMatrix.moc"
