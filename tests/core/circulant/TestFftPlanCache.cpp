// FftPlanCache locking: a lookup of an existing plan must not wait for another thread's planning
// (FFTW MEASURE can take long) nor for the wisdom file being written. Driven by the cache's test
// hook and latches, not by timing: the hook holds the planning thread at the stage under test until
// the lookup has completed. A generous deadlock guard turns a regression into a failure, not a hang.

#include <QTest>

#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <thread>

#include <unistd.h>

#include "TestSupport.h"
#include "circulant/FftPlanCache.h"

using namespace circnn;
using Stage = FftPlanCache::Stage;

Q_DECLARE_METATYPE(circnn::FftPlanCache::Stage)

class TestFftPlanCache : public QObject {
    Q_OBJECT
    std::filesystem::path m_wisdomPath;

private slots:
    void initTestCase()
    {
        m_wisdomPath = test::tempDir() / ("plan-cache-wisdom-" + std::to_string(::getpid()) + ".fftwf");
        qputenv("CIRCNN_WISDOM_FILE", QByteArray::fromStdString(m_wisdomPath.string()));
    }

    void cleanupTestCase()
    {
        FftPlanCache::instance().setHookForTesting({});
        std::error_code ec;
        std::filesystem::remove(m_wisdomPath, ec);
    }

    void lookupDoesNotWaitForPlanning_data()
    {
        QTest::addColumn<Stage>("stage");
        QTest::addColumn<qint64>("length");
        QTest::newRow("planning") << Stage::Planning << qint64(24);
        QTest::newRow("writing wisdom") << Stage::WritingWisdom << qint64(40);
    }

    void lookupDoesNotWaitForPlanning()
    {
        QFETCH(Stage, stage);
        QFETCH(qint64, length);
        auto& cache = FftPlanCache::instance();
        QCOMPARE(cache.plannerFlags(), unsigned(FFTW_MEASURE)); // MEASURE: wisdom is written
        const auto existing = cache.realForward(16, 3, 16, 10);
        const std::int64_t createdBefore = cache.plansCreated();

        std::promise<void> reached, lookedUp;
        std::shared_future<void> lookedUpFuture = lookedUp.get_future().share();
        std::atomic<bool> releasedByLookup{false}, reachedOnce{false};
        cache.setHookForTesting([&](Stage s) {
            if (s != stage || reachedOnce.exchange(true))
                return;
            reached.set_value();
            // Deadlock guard only: the lookup below releases this wait as soon as it returns.
            releasedByLookup = lookedUpFuture.wait_for(std::chrono::seconds(120)) == std::future_status::ready;
        });
        // A plan nobody asked for yet (length and count unique to this test row).
        std::shared_ptr<const FftwPlan> fresh;
        std::thread planner([&] { fresh = cache.realInverse(length, 5, length / 2 + 1, length); });
        reached.get_future().wait();
        const auto again = cache.realForward(16, 3, 16, 10); // must not wait for the other thread
        lookedUp.set_value();
        planner.join();
        cache.setHookForTesting({});

        QVERIFY(again == existing);
        QVERIFY2(releasedByLookup, "the lookup waited for the other thread's planning / wisdom write");
        QVERIFY(fresh && *fresh);
        QCOMPARE(cache.plansCreated(), createdBefore + 1);
        // The new plan is cached: a second request returns the same object without planning.
        QVERIFY(cache.realInverse(length, 5, length / 2 + 1, length) == fresh);
        QCOMPARE(cache.plansCreated(), createdBefore + 1);
    }

    void concurrentMissesPlanOnce()
    {
        // Threads asking for the same new plan at once: one plans, the others get its plan.
        auto& cache = FftPlanCache::instance();
        const std::int64_t createdBefore = cache.plansCreated();
        const int threads = 4;
        std::vector<std::shared_ptr<const FftwPlan>> got(threads);
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] { got[t] = cache.realForward(36, 7, 36, 20); });
        for (auto& th : pool)
            th.join();
        for (int t = 1; t < threads; ++t)
            QVERIFY(got[t] == got[0]);
        QCOMPARE(cache.plansCreated(), createdBefore + 1);
        // Wisdom was written and names this library.
        std::ifstream in(m_wisdomPath);
        std::string head;
        std::getline(in, head);
        QVERIFY2(head.rfind("(fftw-3", 0) == 0, head.c_str());
    }
};

QTEST_APPLESS_MAIN(TestFftPlanCache)
#include "TestFftPlanCache.moc"
