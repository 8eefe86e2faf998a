// The isolated reader (io/IsolatedReader.h) and its transfer format (io/Transfer.h): the same
// model and dataset as in-process reading, bit for bit; crashes and hangs of the HDF5 library
// contained; errors of the child passed through; a cancelled read kills its child; malformed
// transfer messages refused.

#include <QTest>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "IoTestUtil.h"
#include "common/Error.h"
#include "io/DatasetFile.h"
#include "io/IsolatedReader.h"
#include "io/ModelFile.h"
#include "io/NativeFormat.h"
#include "io/Transfer.h"
#include "model/LayerTraits.h"

using namespace circnn;
namespace fs = std::filesystem;

namespace {

fs::path sample(const char* name)
{
    return test::sourceDir() / "sample_models" / name;
}
fs::path damaged(const char* name)
{
    return test::sourceDir() / "tests" / "data" / "fuzz-regressions" / name;
}

void expectIdenticalTensors(const Tensor& a, const Tensor& b, const std::string& what)
{
    QVERIFY2(a.shape() == b.shape(), what.c_str());
    QVERIFY2(a.size() == 0 || std::memcmp(a.data(), b.data(), static_cast<std::size_t>(a.size()) * 4) == 0,
             what.c_str());
}

void expectIdentical(const ModelSpec& a, const ModelSpec& b)
{
    test::compareSpecs(a, b);
    QCOMPARE(a.provenance.sourceFile, b.provenance.sourceFile);
    QCOMPARE(a.provenance.notes, b.provenance.notes);
    QCOMPARE(a.plan.perLayer, b.plan.perLayer);
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
        const LayerSpec &x = a.layers[i], &y = b.layers[i];
        for (const WeightRoleInfo& role : weightRoleTable())
            expectIdenticalTensors(x.*role.member, y.*role.member, x.name + " " + role.name);
        QCOMPARE(x.circulant.has_value(), y.circulant.has_value());
        if (x.circulant) {
            QCOMPARE(x.circulant->k, y.circulant->k);
            QCOMPARE(x.circulant->rows, y.circulant->rows);
            expectIdenticalTensors(x.circulant->vectors, y.circulant->vectors, x.name + " vectors");
        }
    }
}

std::string errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}

// A transfer message as bytes (written through a temporary file).
std::string messageBytes(const std::function<void(int)>& write)
{
    const fs::path p = test::tempDir() / "transfer-message.bin";
    const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(fd);
    ::close(fd);
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    fs::remove(p);
    return s.str();
}

// Input(100) → Dense 80 (8000 weights: left in the file by the child) → Dense 5 (400: copied).
fs::path writeLargeNativeModel(const std::string& name)
{
    ModelSpec m;
    m.name = "large";
    m.layers = {test::inputLayer("in", {100}), test::denseLayer("d1", "in", 100, 80, ActivationKind::Relu, 3),
                test::denseLayer("out", "d1", 80, 5, ActivationKind::Softmax, 4)};
    m.inputs = {"in"};
    m.outputs = {"out"};
    inferShapes(m);
    const fs::path p = test::tempDir() / name;
    fs::remove(p);
    writeNativeModel(m, p);
    return p;
}

} // namespace

class TestIsolatedReader : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        setIsolationEnabled(true);
        QVERIFY(fs::exists(readerExecutable()));
    }

    void modelsReadTheSameAsInProcess()
    {
        for (const char* name : {"fashion_mlp_dense.h5", "fashion_mlp_k8.circnn.h5", "fashion_cnn_dense.h5"}) {
            ModelFormat isolatedFormat;
            const ModelSpec isolated = readModelIsolated(sample(name), &isolatedFormat);
            ModelFormat directFormat;
            const ModelSpec direct = readModelInProcess(sample(name), &directFormat);
            QVERIFY(isolatedFormat == directFormat);
            expectIdentical(isolated, direct);
            expectIdentical(readModel(sample(name)), direct); // the public entry point isolates
            QVERIFY(detectModelFormat(sample(name)) == directFormat);
        }
    }

    void datasetsReadTheSameAsInProcess()
    {
        DatasetOptions o;
        o.limit = 300;
        const Dataset a = readDatasetIsolated(sample("fashion_test_1k.h5"), o);
        const Dataset b = readDatasetInProcess(sample("fashion_test_1k.h5"), o);
        expectIdenticalTensors(a.images, b.images, "images");
        QVERIFY(a.labels == b.labels);
        QCOMPARE(a.classCount, b.classCount);
        QCOMPARE(a.name, b.name);
        QCOMPARE(readDataset(sample("fashion_test_1k.h5"), o).count(), std::int64_t(300));
    }

    void crashAndHangAreContained()
    {
        qputenv("CIRCNN_READER_TIMEOUT", "2");
        const std::string crash = errorOf([] { readModel(damaged("crash-vlen-heap_fashion_mlp_dense.h5")); });
        QVERIFY2(crash.find("is damaged: the HDF5 library crashed while reading it") != std::string::npos,
                 crash.c_str());
        const std::string hang = errorOf([] { readModel(damaged("hang-heap-loop_fashion_mlp_k8.circnn.h5")); });
        QVERIFY2(hang.find("is damaged: the HDF5 library stopped responding while reading it") != std::string::npos,
                 hang.c_str());
        // The damage lies past the root attributes: format detection (in the child) still works.
        QVERIFY(detectModelFormat(damaged("hang-heap-loop_fashion_mlp_k8.circnn.h5")) == ModelFormat::Native);
        qunsetenv("CIRCNN_READER_TIMEOUT");
    }

    void childErrorsArePassedThrough()
    {
        // An HDF5 signature followed by garbage: the same FormatError as in-process.
        const fs::path p = test::tempDir() / "signature-only.h5";
        std::ofstream(p, std::ios::binary) << std::string("\x89HDF\r\n\x1a\n", 8) << std::string(300, 'z');
        const std::string isolated = errorOf([&] { readModel(p); });
        setIsolationEnabled(false);
        const std::string direct = errorOf([&] { readModel(p); });
        setIsolationEnabled(true);
        QVERIFY(!isolated.empty());
        QCOMPARE(isolated, direct);
        QVERIFY_THROWS_EXCEPTION(FormatError, readModel(p));
    }

    void missingReaderIsExplained()
    {
        qputenv("CIRCNN_READER", "/nonexistent/circnn-reader");
        const std::string e = errorOf([] { readModel(sample("fashion_mlp_dense.h5")); });
        qunsetenv("CIRCNN_READER");
        QVERIFY2(e.find("CIRCNN_READER") != std::string::npos, e.c_str());
    }

    // A cancelled read (its ProgressFn returns false) kills the child at once and reaps it, and
    // closes everything the read opened. The reader is replaced by a script that records its
    // process id and then sleeps: without the cancel the read would end only at the wall-clock
    // limit, with a FormatError.
    void cancelKillsTheChild()
    {
        const fs::path dir = test::tempDir() / "cancel-reader";
        fs::create_directories(dir);
        const fs::path pidFile = dir / "pid";
        const fs::path script = dir / "sleeping-reader.sh";
        {
            std::ofstream out(script, std::ios::trunc);
            out << "#!/bin/sh\necho $$ > '" << pidFile.string() << ".tmp'\nmv '" << pidFile.string() << ".tmp' '"
                << pidFile.string() << "'\nexec sleep 300\n";
        }
        fs::permissions(script, fs::perms::owner_all);
        qputenv("CIRCNN_READER", QByteArray::fromStdString(script.string()));
        qputenv("CIRCNN_READER_TIMEOUT", "2");
        const auto openFds = [] {
            std::size_t n = 0;
            for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd"))
                ++n;
            return n;
        };
        const std::size_t fdsBefore = openFds();
        // Asks to stop once the child runs (its pid is written).
        pid_t child = 0;
        const ProgressFn stopOnceStarted = [&](std::size_t, std::size_t) {
            std::ifstream in(pidFile);
            long pid = 0;
            if (in >> pid && pid > 0) {
                child = static_cast<pid_t>(pid);
                return false;
            }
            return true;
        };
        const auto childGone = [&] { return child > 0 && ::kill(child, 0) == -1 && errno == ESRCH; };
        const fs::path model = sample("fashion_mlp_k8.circnn.h5");
        const std::function<void()> reads[] = {
            [&] { (void)readModelIsolated(model, nullptr, stopOnceStarted); },
            [&] { (void)readModel(model, stopOnceStarted); },
            [&] { (void)readModelArchitecture(model, nullptr, stopOnceStarted); },
        };
        for (const auto& read : reads) {
            fs::remove(pidFile);
            child = 0;
            QVERIFY_THROWS_EXCEPTION(Cancelled, read());
            QVERIFY2(child > 0, "the reader child never started");
            QVERIFY2(childGone(), ("reader child " + std::to_string(child) + " still exists").c_str());
            QCOMPARE(openFds(), fdsBefore);
        }
        qunsetenv("CIRCNN_READER");
        qunsetenv("CIRCNN_READER_TIMEOUT");
        // A progress that never stops changes nothing; in this process the read checks it before
        // reading (and after).
        QCOMPARE(readModel(model, [](std::size_t, std::size_t) { return true; }).layers.size(),
                 readModel(model).layers.size());
        setIsolationEnabled(false);
        const auto stop = [](std::size_t, std::size_t) { return false; };
        QVERIFY_THROWS_EXCEPTION(Cancelled, readModel(model, stop));
        setIsolationEnabled(true);
    }

    void transferRoundTrip()
    {
        const ModelSpec m = test::branchySpec(3);
        const std::string bytes = messageBytes([&](int fd) { transfer::writeModel(fd, m, ModelFormat::Native); });
        ModelFormat f = ModelFormat::KerasH5;
        ModelSpec back = transfer::readModel(bytes.data(), bytes.size(), "msg", &f);
        inferShapes(back);
        QVERIFY(f == ModelFormat::Native);
        expectIdentical(back, m);
        const std::string err = messageBytes([](int fd) { transfer::writeError(fd, "shape", "bad shape here"); });
        QVERIFY_THROWS_EXCEPTION(ShapeError, transfer::readModel(err.data(), err.size(), "msg"));
    }

    void largeTensorsStayInTheFile()
    {
        // The child lists the large contiguous float32 tensors instead of copying them; the parent
        // reads them from its own descriptor: the same model, bit for bit.
        const fs::path p = writeLargeNativeModel("large.circnn.h5");
        std::vector<native::DeferredTensor> deferred;
        ModelFormat format = ModelFormat::KerasH5;
        const ModelSpec described = native::readModelDeferred(p, &format, deferred);
        QCOMPARE(deferred.size(), std::size_t(1));
        QCOMPARE(deferred[0].role, std::string("kernel"));
        QCOMPARE(deferred[0].shape, (Shape{100, 80}));
        QVERIFY(described.layers[1].kernel.empty());
        QVERIFY(!described.layers[2].kernel.empty());
        expectIdentical(readModelIsolated(p), readModelInProcess(p));

        // A message naming file tensors is read only against the very file the child read.
        const std::string bytes = messageBytes(
            [&](int fd) { transfer::writeModel(fd, described, ModelFormat::Native, deferred, p.string()); });
        QVERIFY(errorOf([&] {
                    (void)transfer::readModel(bytes.data(), bytes.size(), "msg");
                }).find("no file to read them from") != std::string::npos);
        const fs::path other = writeLargeNativeModel("other.circnn.h5");
        const int otherFd = ::open(other.c_str(), O_RDONLY);
        const std::string changed =
            errorOf([&] { (void)transfer::readModel(bytes.data(), bytes.size(), "msg", nullptr, otherFd); });
        ::close(otherFd);
        QVERIFY2(changed.find("changed while it was being read") != std::string::npos, changed.c_str());
        const int sameFd = ::open(p.c_str(), O_RDONLY);
        const ModelSpec back = transfer::readModel(bytes.data(), bytes.size(), "msg", nullptr, sameFd);
        ::close(sameFd);
        expectIdenticalTensors(back.layers[1].kernel, readModelInProcess(p).layers[1].kernel, "d1 kernel");
    }

    void nanInATensorLeftInTheFile()
    {
        // The child never looked at those values: the parent checks them like the native reader.
        const fs::path p = writeLargeNativeModel("nan.circnn.h5");
        std::vector<native::DeferredTensor> deferred;
        (void)native::readModelDeferred(p, nullptr, deferred);
        QCOMPARE(deferred.size(), std::size_t(1));
        {
            std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
            const float nan = std::numeric_limits<float>::quiet_NaN();
            f.seekp(static_cast<std::streamoff>(deferred[0].fileOffset + 4 * 1234));
            f.write(reinterpret_cast<const char*>(&nan), 4);
        }
        const std::string isolated = errorOf([&] { (void)readModelIsolated(p); });
        const std::string direct = errorOf([&] { (void)readModelInProcess(p); });
        QVERIFY2(isolated.find("'d1' (Dense): weights contain NaN or infinite values") != std::string::npos,
                 isolated.c_str());
        QCOMPARE(isolated, direct);
    }

    void malformedTransferMessagesAreRefused()
    {
        const ModelSpec m = test::mlpSpec(5);
        const std::string bytes = messageBytes([&](int fd) { transfer::writeModel(fd, m, ModelFormat::KerasH5); });
        // Every truncation: a FormatError (never a crash or an out-of-bounds read; ASan checks),
        // except a cut inside the zero padding after the last tensor, which loses nothing.
        const std::size_t lastTensorEnd = bytes.find_last_not_of('\0') + 1;
        int refused = 0, expected = 0;
        for (std::size_t n = 0; n < bytes.size(); n += 61) {
            expected += n < lastTensorEnd ? 1 : 0;
            try {
                const ModelSpec back = transfer::readModel(bytes.data(), n, "msg");
                QVERIFY2(n >= lastTensorEnd, ("a message cut at " + std::to_string(n) + " was accepted").c_str());
                QVERIFY(back.layers.back().kernel == m.layers.back().kernel);
            } catch (const FormatError&) {
                ++refused;
            }
        }
        QCOMPARE(refused, expected);
        QVERIFY(expected > 100);
        // A tensor offset pointing outside the data.
        std::string moved = bytes;
        const auto pos = moved.find("\"offset\":0");
        QVERIFY(pos != std::string::npos);
        moved.replace(pos, 10, "\"offset\":9"); // same length: not 64-aligned
        QVERIFY_THROWS_EXCEPTION(FormatError, transfer::readModel(moved.data(), moved.size(), "msg"));
        // Wrong kind.
        QVERIFY_THROWS_EXCEPTION(FormatError, transfer::readDataset(bytes.data(), bytes.size(), "msg"));
        QVERIFY_THROWS_EXCEPTION(FormatError, transfer::readFormat("garbage", 7, "msg"));
    }
};

QTEST_GUILESS_MAIN(TestIsolatedReader)
#include "TestIsolatedReader.moc"
