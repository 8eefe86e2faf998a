// Data-aware (output-matching) projection: recovers a matrix that is already block-circulant,
// never matches the layer outputs worse than the Frobenius projection on anisotropic inputs
// (k dividing and not dividing the dimensions), agrees with a naive dense least-squares
// reference, and convertModelDataAware replaces Dense layers only (Conv2D warned about).

#include <QTest>

#include <cmath>
#include <random>

#include "../nn/NnTestUtil.h"
#include "TestSupport.h"
#include "analysis/Conversion.h"
#include "analysis/DataAwareProjection.h"
#include "circulant/BlockCirculantMatrix.h"
#include "common/Error.h"
#include "nn/Model.h"

using namespace circnn;
using circnn::test::randomTensor;
using circnn::test::SpecBuilder;

namespace {

std::vector<float> randomVec(std::size_t n, std::uint32_t seed, float lo = -1, float hi = 1)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(lo, hi);
    std::vector<float> v(n);
    for (float& x : v)
        x = u(rng);
    return v;
}

// N×cols inputs with per-column scales spread over two decades and every third column always 0.
std::vector<float> anisotropicInputs(std::int64_t n, std::int64_t cols, std::uint32_t seed)
{
    std::vector<float> x = randomVec(static_cast<std::size_t>(n * cols), seed);
    for (std::int64_t c = 0; c < cols; ++c) {
        const float scale = c % 3 == 1 ? 0.0f : std::pow(10.0f, -1.0f + 2.0f * float(c) / float(cols));
        for (std::int64_t b = 0; b < n; ++b)
            x[static_cast<std::size_t>(b * cols + c)] *= scale;
    }
    return x;
}

// ‖X_new·Cᵀ − X_orig·Wᵀ‖_F, C from defining vectors (dense expansion).
double outputError(const std::vector<float>& w, const std::vector<float>& vectors, std::int64_t rows,
                   std::int64_t cols, std::int64_t k, const std::vector<float>& xNew, const std::vector<float>& xOrig,
                   std::int64_t n)
{
    const std::vector<float> c = BlockCirculantMatrix(rows, cols, k, vectors).toDense();
    double e = 0;
    for (std::int64_t b = 0; b < n; ++b)
        for (std::int64_t o = 0; o < rows; ++o) {
            double d = 0;
            for (std::int64_t i = 0; i < cols; ++i)
                d += double(xNew[std::size_t(b * cols + i)]) * c[std::size_t(o * cols + i)] -
                     double(xOrig[std::size_t(b * cols + i)]) * w[std::size_t(o * cols + i)];
            e += d * d;
        }
    return std::sqrt(e);
}

// Solves the square system M·x = rhs by Gaussian elimination with partial pivoting.
std::vector<double> gaussSolve(std::vector<double> m, std::vector<double> rhs)
{
    const std::size_t d = rhs.size();
    for (std::size_t c = 0; c < d; ++c) {
        std::size_t piv = c;
        for (std::size_t r = c + 1; r < d; ++r)
            if (std::abs(m[r * d + c]) > std::abs(m[piv * d + c]))
                piv = r;
        for (std::size_t t = 0; t < d; ++t)
            std::swap(m[c * d + t], m[piv * d + t]);
        std::swap(rhs[c], rhs[piv]);
        for (std::size_t r = c + 1; r < d; ++r) {
            const double f = m[r * d + c] / m[c * d + c];
            for (std::size_t t = c; t < d; ++t)
                m[r * d + t] -= f * m[c * d + t];
            rhs[r] -= f * rhs[c];
        }
    }
    std::vector<double> x(d);
    for (std::size_t r = d; r-- > 0;) {
        double s = rhs[r];
        for (std::size_t t = r + 1; t < d; ++t)
            s -= m[r * d + t] * x[t];
        x[r] = s / m[r * d + r];
    }
    return x;
}

} // namespace

class TestDataAwareProjection : public QObject {
    Q_OBJECT

private slots:
    void recoversBlockCirculant_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::addColumn<int>("k");
        QTest::newRow("12x16 k4") << 12 << 16 << 4;
        QTest::newRow("10x14 k4 padded") << 10 << 14 << 4;
        QTest::newRow("7x9 k3 padded") << 7 << 9 << 3;
    }
    void recoversBlockCirculant()
    {
        QFETCH(int, rows);
        QFETCH(int, cols);
        QFETCH(int, k);
        const std::int64_t p = (rows + k - 1) / k, q = (cols + k - 1) / k, n = 200;
        const std::vector<float> v0 = randomVec(std::size_t(p * q * k), 7);
        const std::vector<float> w = BlockCirculantMatrix(rows, cols, k, v0).toDense();
        const std::vector<float> x = anisotropicInputs(n, cols, 11);
        const std::vector<float> v = projectDataAware(w, rows, cols, k, x, x, n);
        const std::vector<float> wBack = BlockCirculantMatrix(rows, cols, k, v).toDense();
        for (std::size_t i = 0; i < w.size(); ++i)
            QVERIFY2(std::abs(w[i] - wBack[i]) < 1e-4f, std::to_string(i).c_str());
    }

    void neverWorseThanFrobenius_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::addColumn<int>("k");
        QTest::newRow("16x24 k4") << 16 << 24 << 4;
        QTest::newRow("16x24 k8") << 16 << 24 << 8;
        QTest::newRow("10x14 k4 padded") << 10 << 14 << 4;
        QTest::newRow("13x9 k3 padded") << 13 << 9 << 3;
        QTest::newRow("9x20 k8 padded") << 9 << 20 << 8;
    }
    void neverWorseThanFrobenius()
    {
        QFETCH(int, rows);
        QFETCH(int, cols);
        QFETCH(int, k);
        const std::int64_t n = 150;
        const std::vector<float> w = randomVec(std::size_t(rows * cols), 3);
        const std::vector<float> xOrig = anisotropicInputs(n, cols, 5);
        std::vector<float> xNew = xOrig;
        const std::vector<float> noise = randomVec(xNew.size(), 9, -0.05f, 0.05f);
        for (std::size_t i = 0; i < xNew.size(); ++i)
            xNew[i] += xNew[i] != 0 ? noise[i] : 0.0f;
        const BlockCirculantMatrix frob = BlockCirculantMatrix::project(w, rows, cols, k);
        const std::vector<float> vF(frob.vectors().begin(), frob.vectors().end());
        const std::vector<float> vD = projectDataAware(w, rows, cols, k, xNew, xOrig, n, 1e-6);
        const double eF = outputError(w, vF, rows, cols, k, xNew, xOrig, n);
        const double eD = outputError(w, vD, rows, cols, k, xNew, xOrig, n);
        QVERIFY2(eD <= eF * (1 + 1e-6), (std::to_string(eD) + " vs " + std::to_string(eF)).c_str());
        QVERIFY(eD < 0.9 * eF);  // anisotropic inputs: clearly better
    }

    // The same ridge-regularised least squares built as a full design matrix (every output row of
    // every sample, every defining-vector entry as a column) and solved naively.
    void agreesWithNaiveLeastSquares_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::addColumn<int>("k");
        QTest::newRow("8x12 k4") << 8 << 12 << 4;
        QTest::newRow("6x10 k4 padded") << 6 << 10 << 4;
        QTest::newRow("5x7 k3 padded") << 5 << 7 << 3;
    }
    void agreesWithNaiveLeastSquares()
    {
        QFETCH(int, rows);
        QFETCH(int, cols);
        QFETCH(int, k);
        const std::int64_t p = (rows + k - 1) / k, q = (cols + k - 1) / k, n = 40, d = p * q * k;
        const double rel = 1e-2;
        const std::vector<float> w = randomVec(std::size_t(rows * cols), 21);
        const std::vector<float> xOrig = anisotropicInputs(n, cols, 22);
        std::vector<float> xNew = randomVec(xOrig.size(), 23, -0.2f, 0.2f);
        for (std::size_t i = 0; i < xNew.size(); ++i)
            xNew[i] += xOrig[i];
        const std::vector<float> got = projectDataAware(w, rows, cols, k, xNew, xOrig, n, rel);

        const BlockCirculantMatrix frob = BlockCirculantMatrix::project(w, rows, cols, k);
        // Design matrix: row (b, o), column (i, j, s) = x_new[b][j·k + (r − s) mod k] if o = i·k + r.
        std::vector<double> m(std::size_t(d * d), 0.0), rhs(std::size_t(d), 0.0);
        double x2 = 0;
        for (float v : xNew)
            x2 += double(v) * v;
        const double lambda = rel * x2 / double(q);  // rel · trace(G)/(q·k), trace(G) = k·‖X_new‖²
        for (std::int64_t b = 0; b < n; ++b)
            for (std::int64_t o = 0; o < rows; ++o) {
                std::vector<double> phi(std::size_t(d), 0.0);
                const std::int64_t i = o / k, r = o % k;
                for (std::int64_t j = 0; j < q; ++j)
                    for (std::int64_t s = 0; s < k; ++s) {
                        const std::int64_t c = j * k + ((r - s) % k + k) % k;
                        phi[std::size_t((i * q + j) * k + s)] = c < cols ? xNew[std::size_t(b * cols + c)] : 0.0;
                    }
                double y = 0;
                for (std::int64_t c = 0; c < cols; ++c)
                    y += double(xOrig[std::size_t(b * cols + c)]) * w[std::size_t(o * cols + c)];
                for (std::int64_t a = 0; a < d; ++a) {
                    rhs[std::size_t(a)] += phi[std::size_t(a)] * y;
                    for (std::int64_t t = 0; t < d; ++t)
                        m[std::size_t(a * d + t)] += phi[std::size_t(a)] * phi[std::size_t(t)];
                }
            }
        for (std::int64_t a = 0; a < d; ++a) {
            m[std::size_t(a * d + a)] += lambda;
            rhs[std::size_t(a)] += lambda * frob.vectors()[std::size_t(a)];
        }
        const std::vector<double> want = gaussSolve(m, rhs);
        double diff = 0, norm = 0;
        for (std::int64_t a = 0; a < d; ++a) {
            diff += (got[std::size_t(a)] - want[std::size_t(a)]) * (got[std::size_t(a)] - want[std::size_t(a)]);
            norm += want[std::size_t(a)] * want[std::size_t(a)];
        }
        QVERIFY2(std::sqrt(diff / norm) < 1e-4, std::to_string(std::sqrt(diff / norm)).c_str());
    }

    void badArguments()
    {
        const std::vector<float> w = randomVec(12, 1), x = randomVec(20, 2);
        QVERIFY_THROWS_EXCEPTION(Error, projectDataAware(w, 3, 4, 2, x, x, 4));  // x is 4×5, not 4×4
        QVERIFY_THROWS_EXCEPTION(Error, projectDataAware(w, 3, 4, 2, std::span<const float>(x).first(16),
                                                         std::span<const float>(x).first(16), 4, -1.0));
    }

    void convertsDenseLayersOfAModel()
    {
        SpecBuilder b({16}, "mlp");
        b.dense(16, 12, ActivationKind::Relu).name = "fc1";
        b.dense(12, 10, ActivationKind::Relu).name = "fc2";
        b.dense(10, 3, ActivationKind::Softmax).name = "out";
        const ModelSpec model = b.done();
        Tensor calib = randomTensor({300, 16}, 5, 0.0f, 1.0f);
        for (std::int64_t i = 0; i < 300; ++i)
            for (std::int64_t c = 0; c < 16; c += 4)
                calib[i * 16 + c] = 0;  // some always-zero inputs
        ConversionRequest request;
        request.defaultBlockSize = 4;
        const ConversionResult frob = convertModel(model, request);
        std::vector<DataAwareLayerReport> report;
        std::size_t calls = 0;
        const ConversionResult da = convertModelDataAware(model, request, calib, 1e-3,
                                                          [&](std::size_t, std::size_t) { return ++calls > 0; },
                                                          &report);
        QCOMPARE(report.size(), std::size_t(2));  // the output layer stays dense
        QCOMPARE(calls, std::size_t(3));
        for (const DataAwareLayerReport& r : report) {
            QVERIFY2(r.dataAware, r.reason.c_str());
            QVERIFY(r.dataAwareOutputError <= r.frobeniusOutputError);
            QVERIFY(r.ridge > 0);
        }
        QCOMPARE(da.layers.size(), frob.layers.size());
        for (std::size_t i = 0; i < da.layers.size(); ++i) {
            QCOMPARE(da.layers[i].converted, frob.layers[i].converted);
            QCOMPARE(da.layers[i].blockSize, frob.layers[i].blockSize);
        }
        QVERIFY(da.model.find("fc1")->circulant.has_value());
        QVERIFY(!da.model.find("out")->circulant.has_value());
        QVERIFY(da.model.provenance.notes.find("data-aware") != std::string::npos);

        // The model outputs on the calibration data are closer to the original's.
        const Tensor yo = Model(model).forward(calib);
        const Tensor yf = Model(frob.model).forward(calib);
        const Tensor yd = Model(da.model).forward(calib);
        double ef = 0, ed = 0;
        for (std::int64_t i = 0; i < yo.size(); ++i) {
            ef += (yf[i] - yo[i]) * (yf[i] - yo[i]);
            ed += (yd[i] - yo[i]) * (yd[i] - yo[i]);
        }
        QVERIFY2(ed < ef, (std::to_string(ed) + " vs " + std::to_string(ef)).c_str());

        // Cancellation.
        QVERIFY_THROWS_EXCEPTION(Cancelled, convertModelDataAware(model, request, calib, 1e-3,
                                                                  [](std::size_t, std::size_t) { return false; }));
    }

    void conv2DKeepsFrobeniusWithWarning()
    {
        SpecBuilder b({6, 6, 4}, "cnn");
        b.conv(4, 8, 3, 3, ActivationKind::Relu).name = "conv1";
        b.simple(LayerKind::Flatten);
        b.dense(4 * 4 * 8, 12, ActivationKind::Relu).name = "fc1";
        b.dense(12, 3, ActivationKind::Softmax).name = "out";
        const ModelSpec model = b.done();
        const Tensor calib = randomTensor({50, 6, 6, 4}, 8, 0.0f, 1.0f);
        ConversionRequest request;
        request.defaultBlockSize = 4;
        const ConversionResult frob = convertModel(model, request);
        std::vector<DataAwareLayerReport> report;
        const ConversionResult da = convertModelDataAware(model, request, calib, 1e-3, {}, &report);
        QCOMPARE(report.size(), std::size_t(1));
        QCOMPARE(report[0].layer, std::string("fc1"));
        bool warned = false;
        for (const std::string& w : da.warnings)
            warned = warned || (w.find("conv1") != std::string::npos && w.find("Frobenius") != std::string::npos);
        QVERIFY(warned);
        const Tensor& a = da.model.find("conv1")->circulant->vectors;
        const Tensor& f = frob.model.find("conv1")->circulant->vectors;
        for (std::int64_t i = 0; i < a.size(); ++i)
            QCOMPARE(a[i], f[i]);
    }
};

QTEST_APPLESS_MAIN(TestDataAwareProjection)
#include "TestDataAwareProjection.moc"
