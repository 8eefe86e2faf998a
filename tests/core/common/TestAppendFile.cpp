// AppendFile (the sweep results' JSON Lines): a new file appears complete with its first record,
// every record is all or nothing (an injected full disk leaves the file as it was, with the reason
// in words), a cut-short last record is dropped on reopening, symbolic links are written through
// and special files refused.

#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

#include "common/AppendFile.h"
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

std::string errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return {};
}

} // namespace

class TestAppendFile : public QObject {
    Q_OBJECT

    std::unique_ptr<QTemporaryDir> m_dir;
    fs::path dir() const { return m_dir->path().toStdString(); }

private slots:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
    }

    void createThenAppend()
    {
        const fs::path p = dir() / "r.jsonl";
        AppendFile f = AppendFile::create(p, "header\n");
        QCOMPARE(readAll(p), std::string("header\n"));
        f.append("one\n");
        f.append("two\n");
        QCOMPARE(readAll(p), std::string("header\none\ntwo\n"));
        // Only the file itself in the folder: no temporary left by the creation.
        QCOMPARE(std::distance(fs::directory_iterator(dir()), fs::directory_iterator()), std::ptrdiff_t(1));
    }

    void failedAppendLeavesNoHalfRecord()
    {
        const fs::path p = dir() / "r.jsonl";
        AppendFile f = AppendFile::create(p, "header\n");
        f.append("one\n");
        injectWriteFailureForTesting(ENOSPC, 1);
        const std::string err = errorOf([&] { f.append(std::string(1000, 'x') + "\n"); });
        injectWriteFailureForTesting(0, 0);
        QVERIFY2(err.find("disk full") != std::string::npos, err.c_str());
        QVERIFY2(err.find("r.jsonl") != std::string::npos, err.c_str());
        QCOMPARE(readAll(p), std::string("header\none\n"));
        f.append("two\n"); // still usable once there is space again
        QCOMPARE(readAll(p), std::string("header\none\ntwo\n"));
    }

    void reopeningDropsACutShortRecord()
    {
        const fs::path p = dir() / "r.jsonl";
        std::ofstream(p, std::ios::binary) << "header\none\ntw";
        AppendFile f = AppendFile::openForAppend(p, std::uint64_t(11));
        f.append("two\n");
        QCOMPARE(readAll(p), std::string("header\none\ntwo\n"));
    }

    void concurrentAppendsStayWholeLines()
    {
        const fs::path p = dir() / "r.jsonl";
        AppendFile f = AppendFile::create(p, "h\n");
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&f, t] {
                for (int i = 0; i < 50; ++i)
                    f.append(std::string(200, char('a' + t)) + "\n");
            });
        for (auto& t : threads)
            t.join();
        std::istringstream lines(readAll(p));
        std::string line;
        int count = 0;
        std::getline(lines, line);
        QCOMPARE(line, std::string("h"));
        while (std::getline(lines, line)) {
            QCOMPARE(line.size(), std::size_t(200));
            QCOMPARE(line.find_first_not_of(line[0]), std::string::npos);
            ++count;
        }
        QCOMPARE(count, 200);
    }

    void symlinkWrittenThroughSpecialFilesRefused()
    {
        const fs::path real = dir() / "real.jsonl", link = dir() / "link.jsonl";
        fs::create_symlink("real.jsonl", link);
        AppendFile f = AppendFile::create(link, "header\n");
        f.append("one\n");
        QVERIFY(fs::is_symlink(link));
        QCOMPARE(readAll(real), std::string("header\none\n"));

        const fs::path fifo = dir() / "fifo";
        QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
        std::string err = errorOf([&] { (void)AppendFile::openForAppend(fifo); });
        QVERIFY2(err.find("named pipe") != std::string::npos || err.find("not a regular file") != std::string::npos,
                 err.c_str());
        err = errorOf([&] { (void)AppendFile::create(fifo, "x\n"); });
        QVERIFY2(!err.empty(), "a FIFO must not be replaced");
        QVERIFY(fs::is_fifo(fifo));
        err = errorOf([&] { (void)AppendFile::openForAppend(dir()); });
        QVERIFY2(!err.empty(), "a directory must be refused");
    }
};

QTEST_GUILESS_MAIN(TestAppendFile)
#include "TestAppendFile.moc"
