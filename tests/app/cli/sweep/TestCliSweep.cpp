// `circnn sweep / report / autoplan` as child processes of the test: a sweep really killed with
// SIGKILL mid-way and resumed equals an uninterrupted run; shards 1/3, 2/3, 3/3 run through
// scripts/sweep-parallel.sh (GNU parallel) and merged equal the unsharded run; `report --merge`
// refuses results of another config; the automatic plan meets its budget when the plan file is
// converted and evaluated by `circnn convert` and `circnn eval`.

#include <QProcess>
#include <QStandardPaths>
#include <QThread>
#include <QtTest>

#include <fstream>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "analysis/SweepResultsFile.h"

using namespace circnn;
namespace fs = std::filesystem;

namespace {

const QString kBinary = CIRCNN_BINARY;

QString sample(const char* name)
{
    return QString::fromStdString((test::sourceDir() / "sample_models" / name).string());
}

QStringList sweepArgs()
{
    return {"sweep", sample("fashion_mlp_dense.h5"), "--data", sample("fashion_test_1k.h5"), "-k", "1,2,4,8,16,32",
            "--mode", "project", "--platforms", "xcku060,asic-45nm", "--timing-samples", "16", "--parallel", "inside",
            // Reordering is not what these tests are about, and under the sanitizers it is the slowest part.
            "--no-reorder"};
}

struct Run {
    int code = -1;
    QString out, err;
};

Run run(const QString& program, const QStringList& args, int timeoutMs = 300000)
{
    QProcess p;
    p.start(program, args);
    Run r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

fs::path freshDir(const std::string& name)
{
    const fs::path d = test::tempDir() / name;
    fs::remove_all(d);
    fs::create_directories(d);
    return d;
}

std::size_t completeLines(const fs::path& f)
{
    std::ifstream in(f, std::ios::binary);
    std::size_t n = 0;
    for (char c; in.get(c);)
        n += c == '\n' ? 1 : 0;
    return n;
}

std::vector<SweepPointResult> sortedPoints(const fs::path& f)
{
    std::vector<SweepPointResult> p = readSweepResults(f).points;
    std::sort(p.begin(), p.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
    return p;
}

void compareRuns(const std::vector<SweepPointResult>& a, const std::vector<SweepPointResult>& b)
{
    QCOMPARE(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        QCOMPARE(sweepPointComparableText(a[i]), sweepPointComparableText(b[i]));
}

#define CHECK_RUN(r) QVERIFY2((r).code == 0, qPrintable("exit " + QString::number((r).code) + ": " + (r).err + (r).out))

} // namespace

class TestCliSweep : public QObject {
    Q_OBJECT
    fs::path m_reference;
private slots:
    void initTestCase()
    {
        QVERIFY2(QFileInfo(kBinary).isExecutable(), qPrintable("no circnn binary at " + kBinary));
        const fs::path dir = freshDir("cli_sweep_reference");
        m_reference = dir / "ref.jsonl";
        const Run r = run(kBinary, sweepArgs() << "--results" << QString::fromStdString(m_reference.string()));
        CHECK_RUN(r);
        QCOMPARE(readSweepResults(m_reference).points.size(), std::size_t(6));
    }

    void killedAndResumedEqualsUninterrupted()
    {
        const fs::path dir = freshDir("cli_sweep_kill");
        const fs::path f = dir / "killed.jsonl";
        const QStringList args = sweepArgs() << "--results" << QString::fromStdString(f.string());
        QProcess p;
        p.start(kBinary, args);
        QVERIFY(p.waitForStarted());
        // Header + two points on disk, then SIGKILL (QProcess::kill), mid-way through the sweep.
        while (completeLines(f) < 3 && p.state() == QProcess::Running)
            QThread::msleep(5);
        p.kill();
        p.waitForFinished();
        QCOMPARE(p.exitStatus(), QProcess::CrashExit);
        const SweepResultsContents killed = readSweepResults(f);
        QVERIFY2(killed.points.size() >= 2 && killed.points.size() < 6,
                 qPrintable(QString::number(killed.points.size()) + " points when killed"));
        // Without --resume the file is not touched; with it the sweep completes.
        const Run refused = run(kBinary, args);
        QCOMPARE(refused.code, 1);
        QVERIFY2(refused.err.contains("--resume"), qPrintable(refused.err));
        const Run resumed = run(kBinary, QStringList(args) << "--resume");
        CHECK_RUN(resumed);
        compareRuns(sortedPoints(f), sortedPoints(m_reference));
        QCOMPARE(readSweepResults(f).points.size(), std::size_t(6)); // no point repeated
        // A different config is refused with a clear error.
        QStringList other = args;
        other[5] = "1,2";
        const Run mismatch = run(kBinary, other << "--resume");
        QCOMPARE(mismatch.code, 1);
        QVERIFY2(mismatch.err.contains("different sweep config"), qPrintable(mismatch.err));
    }

    void shardsThroughGnuParallelEqualUnsharded()
    {
        if (QStandardPaths::findExecutable("parallel").isEmpty())
            QSKIP("GNU parallel is not installed");
        const fs::path dir = freshDir("cli_sweep_parallel");
        const QString script = QString::fromStdString((test::sourceDir() / "scripts/sweep-parallel.sh").string());
        const Run r =
            run("bash", QStringList{script, "-c", kBinary, "-j", "2", "3", QString::fromStdString(dir.string()), "--"}
                            << sweepArgs().mid(1));
        CHECK_RUN(r);
        for (int i = 1; i <= 3; ++i)
            QCOMPARE(readSweepResults(dir / ("shard-" + std::to_string(i) + ".jsonl")).points.size(), std::size_t(2));
        compareRuns(sortedPoints(dir / "merged.jsonl"), sortedPoints(m_reference));
        // Shards of another config do not merge.
        const fs::path other = dir / "other.jsonl";
        QStringList otherArgs = sweepArgs();
        otherArgs[5] = "2";
        CHECK_RUN(run(kBinary, otherArgs << "--results" << QString::fromStdString(other.string())));
        const Run bad = run(kBinary, {"report", "--merge", QString::fromStdString((dir / "shard-1.jsonl").string()),
                                      QString::fromStdString(other.string())});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.contains("different sweep config"), qPrintable(bad.err));
    }

    void autoplanMeetsBudgetWhenConvertedAndEvaluated()
    {
        const fs::path dir = freshDir("cli_sweep_autoplan");
        const QString plan = QString::fromStdString((dir / "plan.json").string());
        // Two block sizes keep the reordered searches few (the annealing is the slow part under the
        // sanitizers); the budget admits k = 2 and not k = 4, so the search has to choose.
        const Run a = run(kBinary, {"autoplan", sample("fashion_mlp_dense.h5"), "--data", sample("fashion_test_1k.h5"),
                                    "-k", "2,4", "--mode", "project", "--budget", "6", "--objective", "params", "-o",
                                    plan, "--print-json"});
        CHECK_RUN(a);
        const nlohmann::json result = nlohmann::json::parse(a.out.toStdString());
        QVERIFY(result["verified"].get<bool>());
        QCOMPARE(result["plan"]["dense_1"].get<int>(), 2);
        QCOMPARE(result["search"]["candidates_within_budget"].get<int>(), 2); // dense and k = 2
        const QString planned = QString::fromStdString((dir / "planned.circnn.h5").string());
        CHECK_RUN(run(kBinary, {"convert", sample("fashion_mlp_dense.h5"), "--plan", plan, "-o", planned}));
        const Run dense =
            run(kBinary, {"eval", sample("fashion_mlp_dense.h5"), "--data", sample("fashion_test_1k.h5"), "--json"});
        const Run conv = run(kBinary, {"eval", planned, "--data", sample("fashion_test_1k.h5"), "--json"});
        CHECK_RUN(dense);
        CHECK_RUN(conv);
        const double drop = nlohmann::json::parse(dense.out.toStdString())["top1"].get<double>() -
                            nlohmann::json::parse(conv.out.toStdString())["top1"].get<double>();
        QVERIFY2(drop <= 0.06 + 1e-12, qPrintable("drop " + QString::number(drop)));
    }

    void learningRateAndIntegerValuesReachTheConfig()
    {
        // --lr and --integers become the config's learning_rate and integers (as in the results
        // file's header, hence its hash); values that are not a rate / a reading are refused.
        const fs::path dir = freshDir("cli_sweep_lr");
        const QString results = QString::fromStdString((dir / "lr.jsonl").string());
        const QStringList small{"sweep",
                                sample("fashion_mlp_dense.h5"),
                                "--data",
                                sample("fashion_test_1k.h5"),
                                "-k",
                                "1",
                                "--mode",
                                "project",
                                "--platforms",
                                "xcku060",
                                "--eval-limit",
                                "20",
                                "--timing-samples",
                                "0",
                                "--no-reorder"};
        CHECK_RUN(run(kBinary, QStringList(small) << "--lr"
                                                  << "0.002"
                                                  << "--integers"
                                                  << "pixels"
                                                  << "--results" << results));
        const SweepResultsContents contents = readSweepResults(dir / "lr.jsonl");
        QCOMPARE(contents.headers.size(), std::size_t(1));
        const SweepConfig& c = contents.headers.front().config;
        QCOMPARE(c.learningRate, 0.002);
        QCOMPARE(c.integerValues, IntegerValues::Pixels);
        QCOMPARE(contents.headers.front().configHash, sweepConfigHash(c));
        for (const QStringList& bad :
             {QStringList{"--lr", "-1"}, QStringList{"--lr", "0"}, QStringList{"--integers", "bytes"}}) {
            const Run r = run(kBinary, QStringList(small) << bad);
            QVERIFY2(r.code != 0, qPrintable(bad.join(' ')));
            QVERIFY2(r.err.contains(bad.front()), qPrintable(r.err));
        }
    }
};

QTEST_GUILESS_MAIN(TestCliSweep)
#include "TestCliSweep.moc"
