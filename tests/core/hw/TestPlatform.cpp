// Platform files: parsing, validation with clear errors, atomic save, and the built-in presets
// kept identical to resources/platforms/*.json.
#include <QTest>

#include <cstdlib>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "TestSupport.h"
#include "common/Error.h"
#include "hw/Platform.h"
#include "hw/PlatformRegistry.h"

using namespace circnn;
using namespace circnn::hw;

namespace {

std::filesystem::path presetDir()
{
    return test::sourceDir() / "resources" / "platforms";
}

void writeText(const std::filesystem::path& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// A complete, valid platform document to mutate.
nlohmann::json validJson()
{
    return nlohmann::json::parse(R"({
      "name": "tiny", "kind": "asic", "clock_mhz": 100, "dsp_blocks": 2,
      "multipliers_per_dsp": {"fixed8": 4, "fixed16": 2, "float32": 1},
      "compute_efficiency": 1, "onchip_memory_kib": 1, "onchip_bandwidth_bits_per_cycle": 128,
      "onchip_energy_pj_per_bit": 0.5, "offchip_bandwidth_gbps": 1, "offchip_energy_pj_per_bit": 10,
      "static_power_w": 0.1,
      "energy_pj": {"fixed8": {"add": 0.05, "mul": 0.25}, "fixed16": {"add": 0.1, "mul": 1},
                    "float32": {"add": 1, "mul": 4}}
    })");
}

// Expects loading `j` from a file to throw FormatError whose message names the file and `field`.
void expectFileError(const nlohmann::json& j, const std::string& field, const std::string& alsoContains = {})
{
    const auto path = test::tempDir() / "hw_bad_platform.json";
    writeText(path, j.dump());
    try {
        loadPlatform(path);
        QFAIL(("no error for bad field " + field).c_str());
    } catch (const FormatError& e) {
        const std::string msg = e.what();
        QVERIFY2(msg.find(path.string()) != std::string::npos, msg.c_str());
        QVERIFY2(msg.find("\"" + field + "\"") != std::string::npos, msg.c_str());
        if (!alsoContains.empty())
            QVERIFY2(msg.find(alsoContains) != std::string::npos, msg.c_str());
    }
}

} // namespace

class TestPlatform : public QObject {
    Q_OBJECT
private slots:
    void parsesValidDocument()
    {
        const Platform p = platformFromJson(validJson(), "test");
        QCOMPARE(p.name, std::string("tiny"));
        QVERIFY(p.kind == PlatformKind::Asic);
        QCOMPARE(p.clockMhz, 100.0);
        QCOMPARE(p.multipliers(Precision::Fixed16), 4.0);
        QCOMPARE(p.multipliers(Precision::Fixed8), 8.0);
        QCOMPARE(p.multipliers(Precision::Float32), 2.0);
        QCOMPARE(p.energy(Precision::Fixed16).mulPj, 1.0);
        QCOMPARE(p.energy(Precision::Float32).addPj, 1.0);
        QVERIFY(p.sources.empty());
    }

    void missingFieldNamesFileAndField()
    {
        auto j = validJson();
        j.erase("clock_mhz");
        expectFileError(j, "clock_mhz", "missing");
        j = validJson();
        j["energy_pj"]["fixed16"].erase("mul");
        expectFileError(j, "energy_pj.fixed16.mul", "missing");
        j = validJson();
        j["multipliers_per_dsp"].erase("float32");
        expectFileError(j, "multipliers_per_dsp.float32", "missing");
    }

    void wrongTypeNamesField()
    {
        auto j = validJson();
        j["dsp_blocks"] = "many";
        expectFileError(j, "dsp_blocks", "expected a number");
        j = validJson();
        j["energy_pj"] = 3;
        expectFileError(j, "energy_pj", "expected an object");
        j = validJson();
        j["sources"] = {{"clock_mhz", 5}};
        expectFileError(j, "sources.clock_mhz", "expected a string");
    }

    void badValuesNameField()
    {
        auto j = validJson();
        j["static_power_w"] = -1;
        expectFileError(j, "static_power_w", "non-negative");
        j = validJson();
        j["clock_mhz"] = 0;
        expectFileError(j, "clock_mhz", "positive");
        j = validJson();
        j["compute_efficiency"] = 1.5;
        expectFileError(j, "compute_efficiency", "at most 1");
        j = validJson();
        j["kind"] = "gpu";
        expectFileError(j, "kind", "fpga, asic, cpu");
        j = validJson();
        j["name"] = "has space";
        expectFileError(j, "name");
    }

    void unknownFieldsAreErrors()
    {
        auto j = validJson();
        j["clock_mz"] = 100; // a typo must not be silently ignored
        expectFileError(j, "clock_mz", "unknown field");
        j = validJson();
        j["energy_pj"]["fixed4"] = {{"add", 1}, {"mul", 1}};
        expectFileError(j, "energy_pj.fixed4", "unknown field");
        j = validJson();
        j["sources"] = {{"clock", "typo"}};
        expectFileError(j, "sources.clock", "names no platform field");
    }

    void unreadableFiles()
    {
        const auto missing = test::tempDir() / "hw_no_such_platform.json";
        std::filesystem::remove(missing);
        try {
            loadPlatform(missing);
            QFAIL("no error for a missing file");
        } catch (const FormatError& e) {
            QVERIFY2(std::string(e.what()).find(missing.string()) != std::string::npos, e.what());
        }
        const auto broken = test::tempDir() / "hw_broken_platform.json";
        writeText(broken, "{\"name\": \"x\", ");
        try {
            loadPlatform(broken);
            QFAIL("no error for broken JSON");
        } catch (const FormatError& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find(broken.string()) != std::string::npos && msg.find("not valid JSON") != std::string::npos,
                     msg.c_str());
        }
    }

    void nameDefaultsToFileStem()
    {
        auto j = validJson();
        j.erase("name");
        const auto path = test::tempDir() / "my-board.json";
        writeText(path, j.dump());
        QCOMPARE(loadPlatform(path).name, std::string("my-board"));
    }

    void saveLoadRoundTrip()
    {
        for (const Platform& preset : builtinPlatforms()) {
            Platform p = preset;
            p.clockMhz *= 1.5; // an edited copy, as the GUI would save it
            p.sources["clock_mhz"] = "edited in a test";
            const auto path = test::tempDir() / ("hw_roundtrip_" + p.name + ".json");
            savePlatform(p, path);
            const Platform back = loadPlatform(path);
            QVERIFY2(back == p, p.name.c_str());
        }
    }

    void saveRefusesInvalidAndKeepsOldFile()
    {
        const auto path = test::tempDir() / "hw_keep.json";
        Platform p = builtinPlatforms().front();
        savePlatform(p, path);
        Platform bad = p;
        bad.clockMhz = -5;
        QVERIFY_THROWS_EXCEPTION(FormatError, savePlatform(bad, path));
        QVERIFY(loadPlatform(path) == p);
    }

    void presetsHaveTheRequiredKinds()
    {
        const auto& presets = builtinPlatforms();
        int fpga = 0, asic = 0, cpu = 0;
        std::set<std::string> names;
        for (const Platform& p : presets) {
            fpga += p.kind == PlatformKind::Fpga;
            asic += p.kind == PlatformKind::Asic;
            cpu += p.kind == PlatformKind::Cpu;
            QVERIFY2(names.insert(p.name).second, ("duplicate preset " + p.name).c_str());
        }
        QVERIFY(fpga >= 2);
        QVERIFY(asic >= 2);
        QVERIFY(cpu >= 1);
    }

    void everyPresetFieldStatesASource()
    {
        for (const Platform& p : builtinPlatforms())
            for (const char* field : platformFieldNames()) {
                auto it = p.sources.find(field);
                QVERIFY2(it != p.sources.end() && !it->second.empty(),
                         (p.name + " has no source for " + field).c_str());
            }
    }

    // The files users read and edit and the table compiled into the binary must not drift apart.
    void presetFilesMatchBuiltinTable()
    {
        std::set<std::string> fileNames;
        for (const auto& entry : std::filesystem::directory_iterator(presetDir()))
            if (entry.path().extension() == ".json")
                fileNames.insert(entry.path().stem().string());
        std::set<std::string> builtinNames;
        for (const Platform& p : builtinPlatforms()) {
            builtinNames.insert(p.name);
            const auto file = presetDir() / (p.name + ".json");
            QVERIFY2(std::filesystem::exists(file), ("missing preset file " + file.string()).c_str());
            const Platform fromFile = loadPlatform(file);
            QVERIFY2(fromFile == p, ("preset file differs from the built-in table: " + file.string()).c_str());
        }
        QVERIFY(fileNames == builtinNames);
    }

    void findPlatformByNameFileAndUserDir()
    {
        QCOMPARE(findPlatform("xcku060").clockMhz, 200.0);
        QCOMPARE(findPlatform((presetDir() / "asic-45nm.json").string()).name, std::string("asic-45nm"));
        try {
            findPlatform("no-such-board");
            QFAIL("no error for an unknown platform");
        } catch (const Error& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find("no-such-board") != std::string::npos && msg.find("xcku060") != std::string::npos,
                     msg.c_str());
        }
        // A user folder overrides a built-in of the same name.
        const auto dir = test::tempDir() / "hw_user_platforms";
        std::filesystem::create_directories(dir);
        Platform edited = findPlatform("xcku060");
        edited.clockMhz = 300;
        savePlatform(edited, dir / "xcku060.json");
        ::setenv("CIRCNN_PLATFORM_DIR", dir.string().c_str(), 1);
        const double clock = findPlatform("xcku060").clockMhz;
        const auto listing = listPlatforms();
        ::unsetenv("CIRCNN_PLATFORM_DIR");
        QCOMPARE(clock, 300.0);
        QCOMPARE(listing.size(), builtinPlatforms().size() + 1);
        QCOMPARE(listing.back().origin, (dir / "xcku060.json").string());
        QCOMPARE(findPlatform("xcku060").clockMhz, 200.0);
    }

    void precisionParsing()
    {
        QVERIFY(parsePrecision("8") == Precision::Fixed8);
        QVERIFY(parsePrecision("16") == Precision::Fixed16);
        QVERIFY(parsePrecision("float32") == Precision::Float32);
        QVERIFY_THROWS_EXCEPTION(ShapeError, parsePrecision("12"));
        QCOMPARE(precisionBits(Precision::Float32), 32);
    }
};

QTEST_APPLESS_MAIN(TestPlatform)
#include "TestPlatform.moc"
