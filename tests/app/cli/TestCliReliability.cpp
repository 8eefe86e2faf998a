// Bad input and hostile conditions through the command line (runCli in-process, and the circnn
// binary as a child where a crash must be contained): damaged HDF5 files, special files, a full
// disk, overwriting a Keras file, symbolic links and modes, numeric options, environment
// variables, empty datasets and the memory budget.

#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <sys/stat.h>

#include "CommandRegistry.h"
#include "TestSupport.h"
#include "common/AtomicFile.h"
#include "io/ModelFile.h"

using namespace circnn;
namespace fs = std::filesystem;

namespace {

struct CliResult {
    int code = 0;
    std::string out, err;
};

CliResult run(const std::vector<std::string>& args)
{
    std::ostringstream out, err;
    CliResult r;
    r.code = cli::runCli(args, out, err);
    r.out = out.str();
    r.err = err.str();
    return r;
}

std::string readAll(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

fs::path sample(const char* name)
{
    return test::sourceDir() / "sample_models" / name;
}
fs::path damaged(const char* name)
{
    return test::sourceDir() / "tests" / "data" / "fuzz-regressions" / name;
}

#define EXPECT_FAILS_WITH(result, exitCode, text)                                                                      \
    do {                                                                                                               \
        const CliResult& r_ = (result);                                                                                \
        QVERIFY2(r_.code == (exitCode), ("exit " + std::to_string(r_.code) + ": " + r_.err).c_str());                  \
        QVERIFY2(r_.err.find(text) != std::string::npos, r_.err.c_str());                                              \
    } while (0)

// Temporaries of writes to `p` in its folder.
std::size_t temporariesOf(const fs::path& p)
{
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(p.parent_path()))
        n += isTemporaryFor(e.path().filename(), p);
    return n;
}

} // namespace

class TestCliReliability : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    fs::path dir() const { return m_dir->path().toStdString(); }

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>(QString::fromStdString((test::tempDir() / "cli-rel-XXXXXX").string()));
        QVERIFY(m_dir->isValid());
    }

    void damagedHdf5FilesGiveACleanError()
    {
        // The library crashes (SIGSEGV) on one and loops forever on the other when reading them
        // in-process; the isolated reader turns both into an error naming the file.
        qputenv("CIRCNN_READER_TIMEOUT", "3");
        const auto crash = damaged("crash-vlen-heap_fashion_mlp_dense.h5").string();
        const auto hang = damaged("hang-heap-loop_fashion_mlp_k8.circnn.h5").string();
        CliResult r = run({"inspect", crash});
        EXPECT_FAILS_WITH(r, 1, crash + " is damaged: the HDF5 library crashed while reading it");
        r = run({"inspect", hang});
        EXPECT_FAILS_WITH(r, 1, hang + " is damaged: the HDF5 library stopped responding while reading it");
        // As a dataset (HDF5 datasets go through the same reader).
        r = run({"eval", sample("fashion_mlp_k8.circnn.h5").string(), "--data", crash});
        EXPECT_FAILS_WITH(r, 1, crash);
        r = run({"eval", sample("fashion_mlp_k8.circnn.h5").string(), "--data", hang});
        EXPECT_FAILS_WITH(r, 1, hang);
        // The process is still fine: a good model reads afterwards.
        QCOMPARE(run({"inspect", sample("fashion_mlp_k8.circnn.h5").string()}).code, 0);
        qunsetenv("CIRCNN_READER_TIMEOUT");
    }

    void damagedFileFromTheBinary()
    {
        // The real program as a child: exit code 1 and one line on stderr, no signal.
        const QString exe = QString::fromStdString((fs::path(QCoreApplication::applicationDirPath().toStdString()) /
                                                    ".." / ".." / ".." / "app" / "cli" / "circnn")
                                                       .string());
        if (!QFileInfo(exe).isExecutable())
            QSKIP("the circnn binary is not built");
        QProcess p;
        p.start(exe, {"inspect", QString::fromStdString(damaged("crash-vlen-heap_fashion_mlp_dense.h5").string())});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 1);
        QVERIFY(p.readAllStandardError().contains("is damaged"));
    }

    void isolationOffReadsTheSame()
    {
        const std::string m = sample("fashion_mlp_k8.circnn.h5").string();
        const CliResult isolated = run({"inspect", m});
        const CliResult direct = run({"inspect", m, "--no-isolation"});
        QCOMPARE(isolated.code, 0);
        QCOMPARE(direct.code, 0);
        QCOMPARE(isolated.out, direct.out);
        const std::string data = sample("fashion_test_1k.h5").string();
        const CliResult a = run({"eval", m, "--data", data, "--json"});
        const CliResult b = run({"eval", m, "--data", data, "--json", "--no-isolation"});
        QCOMPARE(a.code, 0);
        QCOMPARE(b.code, 0);
        // Identical except for the throughput figures.
        const auto top1 = [](const std::string& s) { return s.substr(s.find("\"top1\""), 30); };
        QCOMPARE(top1(a.out), top1(b.out));
    }

    void specialFilesAreRefusedAtOnce()
    {
        const fs::path fifo = dir() / "pipe.h5";
        QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
        const std::string m = sample("fashion_mlp_k8.circnn.h5").string();
        EXPECT_FAILS_WITH(run({"inspect", fifo.string()}), 1, "named pipe (FIFO)");
        EXPECT_FAILS_WITH(run({"eval", m, "--data", fifo.string()}), 1, "named pipe (FIFO)");
        EXPECT_FAILS_WITH(run({"convert", m, "--plan", fifo.string(), "-o", (dir() / "o.circnn.h5").string()}), 1,
                          "named pipe (FIFO)");
        // Devices are only read (never written): /dev/zero as a plan, /dev/null as a model.
        EXPECT_FAILS_WITH(run({"convert", m, "--plan", "/dev/zero", "-o", (dir() / "o.circnn.h5").string()}), 1,
                          "character device");
        EXPECT_FAILS_WITH(run({"estimate", m, "--plan", "/dev/zero", "--platform", "xcku060"}), 1, "character device");
        EXPECT_FAILS_WITH(run({"inspect", "/dev/null"}), 1, "character device");
        EXPECT_FAILS_WITH(run({"inspect", dir().string()}), 1, "is a directory");
        // A FIFO as output is not replaced.
        EXPECT_FAILS_WITH(run({"convert", m, "-k", "4", "-o", fifo.string()}), 1, "named pipe");
        QVERIFY(fs::is_fifo(fifo));
    }

    void fullDiskKeepsTheOldFile()
    {
        const std::string m = sample("fashion_mlp_dense.h5").string();
        const fs::path out = dir() / "out.circnn.h5";
        QCOMPARE(run({"convert", m, "-k", "8", "--no-reorder", "-o", out.string()}).code, 0);
        const std::string before = readAll(out);
        // Injected (works anywhere) ...
        injectWriteFailureForTesting(ENOSPC, 1000); // every write (the FFTW wisdom cache writes too)
        CliResult r = run({"convert", m, "-k", "4", "--no-reorder", "-o", out.string()});
        injectWriteFailureForTesting(0, 0);
        EXPECT_FAILS_WITH(r, 1, "disk full");
        QVERIFY(readAll(out) == before);
        QCOMPARE(temporariesOf(out), std::size_t(0));
        // ... and a real full file system where one can be mounted.
        const fs::path mnt = dir() / "small";
        fs::create_directory(mnt);
        if (QProcess::execute("mount", {"-t", "tmpfs", "-o", "size=48k", "tmpfs", QString::fromStdString(mnt)}) != 0)
            QSKIP("cannot mount a tmpfs here (not root); the injected failure covered the logic");
        struct Unmount {
            fs::path m;
            ~Unmount() { QProcess::execute("umount", {QString::fromStdString(m)}); }
        } unmount{mnt};
        const fs::path small = mnt / "plan-out.circnn.h5";
        writeTextFileAtomically(small, "old");
        r = run({"convert", m, "-k", "8", "--no-reorder", "-o", small.string(), "--force"});
        EXPECT_FAILS_WITH(r, 1, "disk full");
        QCOMPARE(readAll(small), std::string("old"));
        QCOMPARE(temporariesOf(small), std::size_t(0));
    }

    void overwritingAKerasFileNeedsForce()
    {
        const fs::path keras = dir() / "model.h5";
        fs::copy_file(sample("fashion_mlp_dense.h5"), keras);
        const std::string before = readAll(keras);
        CliResult r =
            run({"convert", sample("fashion_mlp_dense.h5").string(), "-k", "8", "--no-reorder", "-o", keras.string()});
        EXPECT_FAILS_WITH(r, 1, "--force");
        QVERIFY(r.err.find("Keras HDF5 model") != std::string::npos);
        QVERIFY(readAll(keras) == before);
        r = run({"convert", sample("fashion_mlp_dense.h5").string(), "-k", "8", "--no-reorder", "-o", keras.string(),
                 "--force"});
        QCOMPARE(r.code, 0);
        QVERIFY(detectModelFormat(keras) == ModelFormat::Native);
        // Not a model at all (a dataset) is protected too; a native model replaces a native one.
        const fs::path data = dir() / "data.h5";
        fs::copy_file(sample("fashion_test_1k.h5"), data);
        EXPECT_FAILS_WITH(
            run({"convert", sample("fashion_mlp_dense.h5").string(), "-k", "8", "--no-reorder", "-o", data.string()}),
            1, "--force");
        QCOMPARE(
            run({"convert", sample("fashion_mlp_dense.h5").string(), "-k", "4", "--no-reorder", "-o", keras.string()})
                .code,
            0);
    }

    void symlinkAndModeOfTheOutput()
    {
        const fs::path real = dir() / "real.circnn.h5";
        const std::string m = sample("fashion_mlp_dense.h5").string();
        QCOMPARE(run({"convert", m, "-k", "8", "--no-reorder", "-o", real.string()}).code, 0);
        QCOMPARE(::chmod(real.c_str(), 0640), 0);
        const fs::path link = dir() / "link.circnn.h5";
        fs::create_symlink(real.filename(), link);
        QCOMPARE(run({"convert", m, "-k", "4", "--no-reorder", "-o", link.string()}).code, 0);
        QVERIFY(fs::is_symlink(link));
        struct stat st {};
        QCOMPARE(::stat(real.c_str(), &st), 0);
        QCOMPARE(int(st.st_mode & 07777), 0640);
        QVERIFY(readModel(real).plan.perLayer.begin()->second == 4);
    }

    void numericOptionsAreValidated()
    {
        const std::string m = sample("fashion_mlp_k8.circnn.h5").string();
        const std::string data = sample("fashion_test_1k.h5").string();
        for (const char* bad : {"nan", "inf", "-1", "0", "1e999", "abc", ""})
            EXPECT_FAILS_WITH(run({"eval", m, "--data", data, "--scale", bad}), 2, "--scale");
        const std::vector<std::string> train = {"train", "784-16-10", "--data", data, "--limit",
                                                "64",    "--epochs",  "1",      "-o", (dir() / "t.circnn.h5").string()};
        for (const auto& [opt, bad] : std::vector<std::pair<std::string, std::string>>{{"--gamma", "nan"},
                                                                                       {"--gamma", "-0.5"},
                                                                                       {"--step-epochs", "-3"},
                                                                                       {"--lr", "inf"},
                                                                                       {"--momentum", "1.5"},
                                                                                       {"--val-split", "1"},
                                                                                       {"--batch", "0"},
                                                                                       {"--warmup", "-1"}}) {
            auto args = train;
            args.insert(args.end(), {opt, bad});
            EXPECT_FAILS_WITH(run(args), 2, opt);
        }
        // Blanks around a number are accepted on both sides alike.
        const std::vector<std::string> est = {"estimate", "784-256-10", "--platform", "xcku060", "-k"};
        auto a = est, b = est;
        a.push_back(" 8");
        b.push_back("8 ");
        const CliResult ra = run(a), rb = run(b);
        QCOMPARE(ra.code, 0);
        QCOMPARE(rb.code, 0);
        QCOMPARE(ra.out, rb.out);
        EXPECT_FAILS_WITH(run({"inspect", m, "--memory-limit", "lots"}), 2, "--memory-limit");
    }

    void environmentIsValidated()
    {
        const std::string m = sample("fashion_mlp_k8.circnn.h5").string();
        qputenv("CIRCNN_THREADS", "abc");
        CliResult r = run({"inspect", m});
        qunsetenv("CIRCNN_THREADS");
        EXPECT_FAILS_WITH(r, 2, "CIRCNN_THREADS='abc'");
        qputenv("CIRCNN_MEMORY_LIMIT", "-5G");
        r = run({"inspect", m});
        qunsetenv("CIRCNN_MEMORY_LIMIT");
        EXPECT_FAILS_WITH(r, 2, "CIRCNN_MEMORY_LIMIT");
        qputenv("CIRCNN_ISOLATION", "maybe");
        r = run({"inspect", m});
        qunsetenv("CIRCNN_ISOLATION");
        EXPECT_FAILS_WITH(r, 2, "CIRCNN_ISOLATION");
    }

    void emptyDatasetIsAnError()
    {
        // IDX images (0, 28, 28) and labels (0,).
        const fs::path images = dir() / "empty-images-idx3-ubyte", labels = dir() / "empty-labels-idx1-ubyte";
        std::ofstream(images, std::ios::binary).write("\0\0\x08\x03\0\0\0\0\0\0\0\x1c\0\0\0\x1c", 16);
        std::ofstream(labels, std::ios::binary).write("\0\0\x08\x01\0\0\0\0", 8);
        const CliResult r = run({"eval", sample("fashion_mlp_k8.circnn.h5").string(), "--data", images.string()});
        EXPECT_FAILS_WITH(r, 1, "no samples");
    }

    void memoryBudgetIsCheckedBeforeAllocating()
    {
        const std::string data = sample("fashion_test_1k.h5").string();
        // 785 million weights: refused with the size it would need, before any allocation.
        CliResult r = run({"train", "28x28x1-c100000-10", "--data", data, "-o", (dir() / "x.circnn.h5").string()});
        EXPECT_FAILS_WITH(r, 1, "more than the memory limit");
        QVERIFY(r.err.find("needs") != std::string::npos);
        // A dataset header larger than an explicit budget.
        r = run({"eval", sample("fashion_mlp_k8.circnn.h5").string(), "--data", data, "--memory-limit", "1M"});
        EXPECT_FAILS_WITH(r, 1, "more than the memory limit of 1.0 MiB");
        // The budget is restored after the command.
        QCOMPARE(run({"eval", sample("fashion_mlp_k8.circnn.h5").string(), "--data", data}).code, 0);
    }
};

QTEST_GUILESS_MAIN(TestCliReliability)
#include "TestCliReliability.moc"
