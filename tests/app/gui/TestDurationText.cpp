// formatDuration: the training view's "training time" (a run of a few seconds reads "4.2 s", not
// "0:00"), and the elapsed / ETA figures of the training and sweep views.

#include <QTest>

#include <limits>

#include "DurationText.h"

using circnn::gui::formatDuration;

class TestDurationText : public QObject {
    Q_OBJECT
private slots:
    void shortRunsInTenths()
    {
        QCOMPARE(formatDuration(0), QString("0.0 s"));
        QCOMPARE(formatDuration(0.44), QString("0.4 s"));
        QCOMPARE(formatDuration(4.2), QString("4.2 s"));
        QCOMPARE(formatDuration(9.94), QString("9.9 s"));
    }
    void secondsMinutesHours()
    {
        QCOMPARE(formatDuration(9.96), QString("10 s")); // not "10.0 s"
        QCOMPARE(formatDuration(42.4), QString("42 s"));
        QCOMPARE(formatDuration(59.4), QString("59 s"));
        QCOMPARE(formatDuration(59.6), QString("1 min 00 s"));
        QCOMPARE(formatDuration(65), QString("1 min 05 s"));
        QCOMPARE(formatDuration(3599.4), QString("59 min 59 s"));
        QCOMPARE(formatDuration(3600), QString("1 h 00 min"));
        QCOMPARE(formatDuration(2 * 3600 + 3 * 60 + 10), QString("2 h 03 min"));
    }
    void unknownIsADash()
    {
        QCOMPARE(formatDuration(-1), QString("–"));
        QCOMPARE(formatDuration(std::numeric_limits<double>::quiet_NaN()), QString("–"));
        QCOMPARE(formatDuration(std::numeric_limits<double>::infinity()), QString("–"));
    }
};

QTEST_GUILESS_MAIN(TestDurationText)
#include "TestDurationText.moc"
