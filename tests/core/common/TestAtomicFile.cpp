// writeFileAtomically: the old file survives every failure (injected and real full disk, a killed
// writer), symbolic links are written through, the mode is kept, special files are refused, and
// temporaries of dead writers are cleaned by the next write.

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "TestSupport.h"
#include "common/AtomicFile.h"
#include "common/Error.h"

using namespace circnn;
namespace fs = std::filesystem;

namespace {

std::string readAll(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// Names in `dir` other than `keep`.
std::vector<std::string> othersIn(const fs::path& dir, const std::vector<std::string>& keep)
{
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string n = e.path().filename().string();
        if (std::find(keep.begin(), keep.end(), n) == keep.end())
            names.push_back(n);
    }
    return names;
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

// The child mode of this test binary (see main below): writes DEST through writeFileAtomically,
// creates READY once half the content is in the temporary file, then waits to be killed.
int slowWriterChild(const char* dest, const char* ready)
{
    writeFileAtomically(dest, [&](const fs::path& tmp) {
        std::ofstream(tmp, std::ios::binary) << std::string(4096, 'n');
        std::ofstream(ready) << "1";
        for (;;)
            std::this_thread::sleep_for(std::chrono::seconds(1));
    });
    return 0;
}

} // namespace

class TestAtomicFile : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    fs::path dir() const { return m_dir->path().toStdString(); }

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>(QString::fromStdString((test::tempDir() / "atomic-XXXXXX").string()));
        QVERIFY(m_dir->isValid());
        injectWriteFailureForTesting(0, 0);
    }

    void replacesAndLeavesNoTemporary()
    {
        const fs::path p = dir() / "a.txt";
        writeTextFileAtomically(p, "one");
        writeTextFileAtomically(p, "two");
        QCOMPARE(readAll(p), std::string("two"));
        QCOMPARE(othersIn(dir(), {"a.txt"}).size(), std::size_t(0));
    }

    void writerExceptionKeepsOldFile()
    {
        const fs::path p = dir() / "a.txt";
        writeTextFileAtomically(p, "good");
        QVERIFY_THROWS_EXCEPTION(std::runtime_error, writeFileAtomically(p, [](const fs::path& tmp) {
                                     std::ofstream(tmp) << "half";
                                     throw std::runtime_error("writer failed");
                                 }));
        QCOMPARE(readAll(p), std::string("good"));
        QCOMPARE(othersIn(dir(), {"a.txt"}).size(), std::size_t(0));
        QVERIFY(!errorOf([&] { writeTextFileAtomically(dir() / "no/such/dir/x", "x"); }).empty());
    }

    void injectedDiskFullKeepsOldFileAndSaysSo()
    {
        const fs::path p = dir() / "model.bin";
        writeTextFileAtomically(p, "previous");
        injectWriteFailureForTesting(ENOSPC);
        const std::string e = errorOf([&] { writeTextFileAtomically(p, std::string(100000, 'x')); });
        QVERIFY2(e.find("disk full") != std::string::npos, e.c_str());
        QVERIFY2(e.find(p.string()) != std::string::npos, e.c_str());
        QCOMPARE(readAll(p), std::string("previous"));
        QCOMPARE(othersIn(dir(), {"model.bin"}).size(), std::size_t(0));
        injectWriteFailureForTesting(EROFS);
        QVERIFY(errorOf([&] { writeTextFileAtomically(p, "x"); }).find("read-only file system") != std::string::npos);
    }

    void realFullFileSystem()
    {
        // A 64 KiB tmpfs mounted inside the test folder (root, or a user namespace, is needed).
        const fs::path mnt = dir() / "small";
        fs::create_directory(mnt);
        if (QProcess::execute("mount", {"-t", "tmpfs", "-o", "size=64k", "tmpfs", QString::fromStdString(mnt)}) != 0)
            QSKIP("cannot mount a tmpfs here (not root); the injected failure test covers the logic");
        struct Unmount {
            fs::path m;
            ~Unmount() { QProcess::execute("umount", {QString::fromStdString(m)}); }
        } unmount{mnt};
        const fs::path p = mnt / "out.bin";
        writeTextFileAtomically(p, "old content");
        const std::string e = errorOf([&] { writeTextFileAtomically(p, std::string(1 << 20, 'x')); });
        QVERIFY2(e.find("disk full") != std::string::npos, e.c_str());
        QCOMPARE(readAll(p), std::string("old content"));
        QCOMPARE(othersIn(mnt, {"out.bin"}).size(), std::size_t(0));
    }

    void symlinkIsWrittenThrough()
    {
        const fs::path target = dir() / "real.json";
        writeTextFileAtomically(target, "old");
        fs::create_directory(dir() / "links");
        const fs::path link = dir() / "links" / "link.json";
        fs::create_symlink("../real.json", link); // relative to the link's folder
        writeTextFileAtomically(link, "new");
        QVERIFY(fs::is_symlink(link));
        QCOMPARE(readAll(target), std::string("new"));
        // A dangling link creates its target.
        const fs::path dangling = dir() / "dangling";
        fs::create_symlink(dir() / "created.txt", dangling);
        writeTextFileAtomically(dangling, "made");
        QVERIFY(fs::is_symlink(dangling));
        QCOMPARE(readAll(dir() / "created.txt"), std::string("made"));
        QCOMPARE(resolveWriteTarget(link), dir() / "links" / ".." / "real.json");
    }

    void modeIsKept()
    {
        const fs::path p = dir() / "private.txt";
        writeTextFileAtomically(p, "a");
        QCOMPARE(::chmod(p.c_str(), 0640), 0);
        writeTextFileAtomically(p, "b");
        struct stat st {};
        QCOMPARE(::stat(p.c_str(), &st), 0);
        QCOMPARE(int(st.st_mode & 07777), 0640);
        QCOMPARE(readAll(p), std::string("b"));
    }

    void specialFilesAreRefused()
    {
        const fs::path fifo = dir() / "pipe";
        QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
        std::string e = errorOf([&] { writeTextFileAtomically(fifo, "x"); });
        QVERIFY2(e.find("named pipe") != std::string::npos, e.c_str());
        QVERIFY(fs::is_fifo(fifo));
        // A symlink to a FIFO is refused too (the target is what would be replaced).
        fs::create_symlink(fifo, dir() / "to-pipe");
        QVERIFY(!errorOf([&] { writeTextFileAtomically(dir() / "to-pipe", "x"); }).empty());
        QVERIFY(fs::is_fifo(fifo));
        // A directory.
        fs::create_directory(dir() / "folder");
        e = errorOf([&] { writeTextFileAtomically(dir() / "folder", "x"); });
        QVERIFY2(e.find("directory") != std::string::npos, e.c_str());
        // A device node of our own (root only; never touches /dev): same numbers as /dev/null.
        const fs::path dev = dir() / "null-device";
        if (::mknod(dev.c_str(), S_IFCHR | 0600, makedev(1, 3)) == 0) {
            e = errorOf([&] { writeTextFileAtomically(dev, "x"); });
            QVERIFY2(e.find("character device") != std::string::npos, e.c_str());
            QVERIFY(fs::is_character_file(dev));
        }
        QCOMPARE(othersIn(dir(), {"pipe", "to-pipe", "folder", "null-device"}).size(), std::size_t(0));
    }

    void longNamesStayUnderNameMax()
    {
        const std::string name(250, 'n');
        const fs::path p = dir() / (name + ".json"); // 255 bytes: the longest valid name
        writeTextFileAtomically(p, "ok");
        QCOMPARE(readAll(p), std::string("ok"));
        // The temporary names of two long names sharing their first bytes differ (hash).
        std::string other(1, '.');
        other.append(name, 0, 32);
        other.append(".00000000.1-1.0.circnn-tmp");
        QVERIFY(!isTemporaryFor(other, p));
    }

    void killedWriterLeavesOldFileAndNextWriteCleansUp()
    {
        const fs::path p = dir() / "model.circnn.h5";
        writeTextFileAtomically(p, "the old model");
        const fs::path ready = dir() / "ready";
        QProcess child;
        child.start(QCoreApplication::applicationFilePath(),
                    {"--slow-writer", QString::fromStdString(p), QString::fromStdString(ready)});
        QVERIFY(child.waitForStarted());
        for (int i = 0; i < 3000 && !fs::exists(ready); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        QVERIFY2(fs::exists(ready), "the writer child did not start writing");
        ::kill(static_cast<pid_t>(child.processId()), SIGKILL);
        QVERIFY(child.waitForFinished());
        QCOMPARE(readAll(p), std::string("the old model"));
        std::vector<std::string> orphans;
        for (const auto& n : othersIn(dir(), {"model.circnn.h5", "ready"}))
            if (isTemporaryFor(n, p))
                orphans.push_back(n);
        QCOMPARE(orphans.size(), std::size_t(1));
        QVERIFY(orphans[0].size() < 100);
        // The next write to that name removes the orphan of the dead writer.
        writeTextFileAtomically(p, "the new model");
        QCOMPARE(readAll(p), std::string("the new model"));
        QCOMPARE(othersIn(dir(), {"model.circnn.h5", "ready"}).size(), std::size_t(0));
    }

    void temporaryOfLiveProcessIsKept()
    {
        // A writer that is still running (here: the child blocked in its write) keeps its file.
        const fs::path p = dir() / "busy.bin";
        const fs::path ready = dir() / "ready";
        QProcess child;
        child.start(QCoreApplication::applicationFilePath(),
                    {"--slow-writer", QString::fromStdString(p), QString::fromStdString(ready)});
        QVERIFY(child.waitForStarted());
        for (int i = 0; i < 3000 && !fs::exists(ready); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        QVERIFY(fs::exists(ready));
        QCOMPARE(removeStaleTemporaries(p), std::size_t(0));
        writeTextFileAtomically(p, "mine");
        std::size_t temps = 0;
        for (const auto& n : othersIn(dir(), {}))
            temps += isTemporaryFor(n, p);
        QCOMPARE(temps, std::size_t(1));
        ::kill(static_cast<pid_t>(child.processId()), SIGKILL);
        QVERIFY(child.waitForFinished());
        QCOMPARE(removeStaleTemporaries(p), std::size_t(1));
    }

    void errorNumbersInWords()
    {
        QCOMPARE(describeWriteError(ENOSPC), std::string("disk full"));
        QCOMPARE(describeWriteError(EACCES), std::string("permission denied"));
        QCOMPARE(describeWriteError(EROFS), std::string("read-only file system"));
    }

    void cleanup() { injectWriteFailureForTesting(0, 0); }
};

int main(int argc, char** argv)
{
    if (argc == 4 && std::strcmp(argv[1], "--slow-writer") == 0)
        return slowWriterChild(argv[2], argv[3]);
    QCoreApplication app(argc, argv);
    TestAtomicFile t;
    return QTest::qExec(&t, argc, argv);
}

#include "TestAtomicFile.moc"
