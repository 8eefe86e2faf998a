// parseConversionPlan / readConversionPlan: the one parser of conversion-plan JSON files (used by
// convert, finetune and estimate): every key, and clear errors naming the file and the problem.

#include <QTest>

#include <fstream>

#include "TestSupport.h"
#include "common/Error.h"
#include "io/ConversionPlanFile.h"

using namespace circnn;

class TestConversionPlanFile : public QObject {
    Q_OBJECT

private slots:
    void planParsing()
    {
        const ConversionPlan r = parseConversionPlan(
            R"({"default_k": 8, "layers": {"dense_1": 16, "dense_2": 1}, "convert_output_layer": true})");
        QCOMPARE(r.defaultBlockSize, std::int64_t(8));
        QCOMPARE(r.perLayer.size(), std::size_t(2));
        QCOMPARE(r.perLayer.at("dense_1"), std::int64_t(16));
        QCOMPARE(r.perLayer.at("dense_2"), std::int64_t(1));
        QVERIFY(r.convertOutputLayer);
        QCOMPARE(parseConversionPlan("{}").defaultBlockSize, std::int64_t(0));
        for (const char* bad : {"{", "[1, 2]", R"({"default_k": "8"})", R"({"default_k": -1})",
                                R"({"layers": {"a": 0}})", R"({"layers": [1]})", R"({"layers": {"a": 2.5}})",
                                R"({"defualt_k": 8})", R"({"convert_output_layer": 1})"}) {
            try {
                parseConversionPlan(bad);
                QFAIL((std::string("accepted ") + bad).c_str());
            } catch (const FormatError& e) {
                QVERIFY(std::string(e.what()).find("conversion plan") != std::string::npos);
            }
        }
        const auto file = test::tempDir() / "plan_test.json";
        {
            std::ofstream(file) << R"({"layers": {"fc1": 4}})";
        }
        QCOMPARE(readConversionPlan(file).perLayer.at("fc1"), std::int64_t(4));
        {
            std::ofstream(file) << R"({"layers": {"fc1": "x"}})";
        }
        try {
            readConversionPlan(file);
            QFAIL("accepted a bad plan file");
        } catch (const FormatError& e) {
            QVERIFY(std::string(e.what()).find("plan_test.json") != std::string::npos);
        }
        QVERIFY_THROWS_EXCEPTION(Error, readConversionPlan(test::tempDir() / "missing_plan.json"));
    }

    // writeConversionPlan → readConversionPlan gives the same plan (with and without per-layer sizes).
    void planRoundTrip()
    {
        const auto file = test::tempDir() / "plan_round_trip.json";
        ConversionPlan plan;
        plan.defaultBlockSize = 16;
        plan.perLayer = {{"dense_1", 4}, {"conv 2", 1}};
        plan.convertOutputLayer = true;
        writeConversionPlan(plan, file);
        QVERIFY(readConversionPlan(file) == plan);
        const ConversionPlan empty;
        writeConversionPlan(empty, file);
        QVERIFY(readConversionPlan(file) == empty);
        QVERIFY(!(readConversionPlan(file) == plan));
        ConversionPlan bad;
        bad.perLayer["x"] = 0;
        QVERIFY_THROWS_EXCEPTION(Error, writeConversionPlan(bad, file));
        QVERIFY(readConversionPlan(file) == empty); // the old file stays
    }
};

QTEST_APPLESS_MAIN(TestConversionPlanFile)
#include "TestConversionPlanFile.moc"
