// Isolation "works identically from the CLI, the GUI and sweeps": every front end loads models
// and HDF5 datasets through core/io's readModel / readDataset (workflows through
// loadModelSource / loadDataSource, sweeps through runSweep), so all of them go through the
// isolated reader. Shown here by (a) the damaged files giving the isolated reader's error through
// each entry point, and (b) a missing reader executable (CIRCNN_READER) failing each of them,
// while --no-isolation (setIsolationEnabled(false)) reads in-process. The CLI is covered by
// test_cli_reliability, the desktop app's Document by test_gui_damaged_files.

#include <QTest>

#include "TestSupport.h"
#include "analysis/SweepRunner.h"
#include "analysis/WorkflowSources.h"
#include "common/Error.h"
#include "io/IsolatedReader.h"

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

std::string errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}

SweepConfig sweepOf(const fs::path& model)
{
    SweepConfig c;
    c.models = {model.string()};
    c.blockSizes = {1, 4};
    c.modes = {AccuracyMode::Project};
    c.data = sample("fashion_test_1k.h5").string();
    c.evalLimit = 50;
    c.platforms = {"xcku060"};
    c.timingSamples = 1;
    return c;
}

} // namespace

class TestIsolationPaths : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        qputenv("CIRCNN_READER_TIMEOUT", "3");
        QVERIFY(isolationEnabled());
    }

    void damagedFilesThroughWorkflowsAndSweeps()
    {
        for (const char* name : {"crash-vlen-heap_fashion_mlp_dense.h5", "hang-heap-loop_fashion_mlp_k8.circnn.h5"}) {
            const fs::path bad = damaged(name);
            std::string err = errorOf([&] { (void)loadModelSource(ModelSource::file(bad)); });
            QVERIFY2(err.find(bad.string() + " is damaged: the HDF5 library") != std::string::npos, err.c_str());
            SweepRunOptions options;
            err = errorOf([&] { (void)runSweep(sweepOf(bad), options); });
            QVERIFY2(err.find(bad.string() + " is damaged: the HDF5 library") != std::string::npos, err.c_str());
        }
    }

    void everyEntryPointStartsTheReader()
    {
        // With the reader unavailable, each entry point fails with the reader's error: none of them
        // bypasses it. With isolation off, the same calls read in-process.
        qputenv("CIRCNN_READER", "/nonexistent/circnn-reader");
        const fs::path model = sample("fashion_mlp_dense.h5");
        DataSource data;
        data.path = sample("fashion_test_1k.h5");
        SweepRunOptions options;
        const std::string viaModel = errorOf([&] { (void)loadModelSource(ModelSource::file(model)); });
        const std::string viaData = errorOf([&] { (void)loadDataSource(data, Shape{784}); });
        const std::string viaSweep = errorOf([&] { (void)runSweep(sweepOf(model), options); });
        setIsolationEnabled(false);
        const std::string direct = errorOf([&] {
            (void)loadModelSource(ModelSource::file(model));
            (void)loadDataSource(data, Shape{784});
        });
        setIsolationEnabled(true);
        qunsetenv("CIRCNN_READER");
        for (const std::string& e : {viaModel, viaData, viaSweep})
            QVERIFY2(e.find("CIRCNN_READER") != std::string::npos, e.c_str());
        QVERIFY2(direct.empty(), direct.c_str());
        // And with the reader back, the sweep runs through it.
        const SweepRunResult run = runSweep(sweepOf(model), options);
        QCOMPARE(run.points.size(), std::size_t(2));
    }
};

QTEST_GUILESS_MAIN(TestIsolationPaths)
#include "TestIsolationPaths.moc"
