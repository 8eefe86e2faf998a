// The inputs the fuzzers found (tests/data/fuzz-found/<harness>/), run through the same entry points
// as their harness in the normal build: each must be refused with a circnn::Error (no other
// exception, no crash). Plus the class behind the plan finding, a JSON number out of double's range,
// at every JSON parse site that reads a user's file.

#include <QTest>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "analysis/SweepConfig.h"
#include "analysis/SweepResultsFile.h"
#include "common/Error.h"
#include "hw/Platform.h"
#include "io/ConversionPlanFile.h"
#include "io/DatasetFile.h"
#include "io/DatasetFormats.h"
#include "io/KerasConfig.h"
#include "io/Transfer.h"
#include "model/ArchitectureParser.h"

using namespace circnn;
namespace fs = std::filesystem;

namespace {

std::string bytesOf(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<fs::path> findings(const char* harness)
{
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(test::sourceDir() / "tests" / "data" / "fuzz-found" / harness))
        files.push_back(e.path());
    return files;
}

fs::path writeTemp(const std::string& name, const std::string& text)
{
    const fs::path dir = test::tempDir() / "fuzz_findings";
    fs::create_directories(dir);
    const fs::path f = dir / name;
    std::ofstream(f, std::ios::binary) << text;
    return f;
}

// Runs `call`, which must throw a circnn::Error (anything else escapes and fails the test).
template <typename Call> void expectCleanError(const std::string& what, Call call)
{
    try {
        call();
    } catch (const Error&) {
        return;
    }
    QFAIL(("accepted: " + what).c_str());
}

} // namespace

class TestFuzzFindings : public QObject {
    Q_OBJECT

private slots:
    void npzFindings()
    {
        const auto files = findings("FuzzNpz");
        QVERIFY(!files.empty());
        for (const fs::path& f : files) {
            expectCleanError(f.filename().string(), [&] { (void)dataset::parseNpy(bytesOf(f), f.string(), 0); });
            expectCleanError(f.filename().string(), [&] { (void)readDatasetInProcess(f); });
        }
    }

    void npyHeaderWithoutValues()
    {
        // The shape of the finding, built by hand: a key followed by nothing but spaces, and a
        // dtype of one quote.
        const std::string magic("\x93NUMPY\x01\x00", 8);
        for (const std::string header : {"{'descr':      ", "{'descr': '', 'fortran_order': False, 'shape': (1,)}",
                                         "{'descr': '<f4', 'fortran_order':    "}) {
            std::string bytes = magic;
            bytes += char(header.size() & 0xff);
            bytes += char(header.size() >> 8);
            bytes += header;
            expectCleanError(header, [&] { (void)dataset::parseNpy(bytes, "hand.npy", 0); });
        }
    }

    void planFindings()
    {
        const auto files = findings("FuzzPlanJson");
        QVERIFY(!files.empty());
        for (const fs::path& f : files)
            expectCleanError(f.filename().string(), [&] { (void)parseConversionPlan(bytesOf(f)); });
    }

    void kerasConfigFindings()
    {
        const auto files = findings("FuzzKerasConfig");
        QVERIFY(!files.empty());
        for (const fs::path& f : files) {
            try {
                (void)keras::parseModelConfig(nlohmann::json::parse(bytesOf(f)), f.filename().string());
                QFAIL(("accepted: " + f.filename().string()).c_str());
            } catch (const FormatError& e) {
                // Names the file, and says what was wrong in its own words.
                const std::string message = e.what();
                QVERIFY2(message.rfind(f.filename().string() + ": ", 0) == 0, e.what());
                QVERIFY2(message.find("json.exception") == std::string::npos, e.what());
            }
        }
    }

    void nativeMetadataFindings()
    {
        // A transfer message (what the isolated reader's child sends) whose model description has a
        // dilation of 6666…661: too large for any integer type, so nlohmann::json keeps it as a
        // double, and converting that to std::int64_t was undefined (UBSan stopped the harness).
        const auto files = findings("FuzzNativeMetadata");
        QVERIFY(!files.empty());
        for (const fs::path& f : files) {
            const std::string bytes = bytesOf(f);
            expectCleanError(f.filename().string(),
                             [&] { (void)transfer::readModel(bytes.data(), bytes.size(), f.filename().string()); });
        }
    }

    void sweepResultsFindings()
    {
        const auto files = findings("FuzzSweepResults");
        QVERIFY(!files.empty());
        for (const fs::path& f : files)
            expectCleanError(f.filename().string(), [&] { (void)readSweepResults(f); });
    }

    void sweepResultsValuesOfTheWrongType()
    {
        // The shape of the finding: a header whose provenance "date" is a number. nlohmann::json's
        // value() throws type_error for it; the reader names the file and line instead.
        const fs::path good = test::sourceDir() / "tests" / "fuzz" / "seeds" / "FuzzSweepResults" / "results.jsonl";
        const std::string text = bytesOf(good);
        const std::size_t eol = text.find('\n');
        QVERIFY(eol != std::string::npos);
        QVERIFY(!readSweepResults(good).points.empty()); // the unchanged seed reads
        for (const auto& [key, bad] :
             std::vector<std::pair<std::string, std::string>>{{"date", "458.5"}, {"files", "[7]"}, {"tool", "[]"}}) {
            nlohmann::json header = nlohmann::json::parse(text.substr(0, eol));
            header["provenance"][key] = nlohmann::json::parse(bad);
            const fs::path f = writeTemp("provenance-" + key + ".jsonl", header.dump() + text.substr(eol));
            try {
                (void)readSweepResults(f);
                QFAIL(("accepted provenance " + key + " = " + bad).c_str());
            } catch (const FormatError& e) {
                QVERIFY2(std::string(e.what()).find("line 1") != std::string::npos, e.what());
            }
        }
    }

    void numbersOutOfRangeAreFormatErrors()
    {
        // nlohmann::json reports 1e999 as out_of_range, not parse_error: every reader of a user's JSON
        // file must turn it into an Error naming the file.
        const std::string huge = "1e999";
        expectCleanError("plan", [&] { (void)parseConversionPlan(R"({"default_k": )" + huge + "}"); });
        const fs::path platform = writeTemp("platform.json", R"({"name": "p", "clock_mhz": )" + huge + "}");
        expectCleanError("platform", [&] { (void)hw::loadPlatform(platform); });
        const fs::path config =
            writeTemp("sweep.json", R"({"schema": "circnn.sweep-config/1", "epochs": )" + huge + "}");
        expectCleanError("sweep config", [&] { (void)readSweepConfig(config.string()); });
        const fs::path results = writeTemp("results.jsonl", R"({"schema": )" + huge + "}\n");
        expectCleanError("sweep results", [&] { (void)readSweepResults(results); });
        expectCleanError("architecture", [&] { (void)parseArchitecture(R"({"input": )" + huge + "}"); });
        try {
            (void)hw::loadPlatform(platform);
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("platform.json") != std::string::npos, e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestFuzzFindings)
#include "TestFuzzFindings.moc"
