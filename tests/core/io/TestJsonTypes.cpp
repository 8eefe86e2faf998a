// Every reader of a user's JSON, given a known-good document with each value in turn replaced by a
// value of every other JSON type, or removed: each mutant must be read or refused with a
// circnn::Error naming what was wrong — never another exception. nlohmann::json's checked
// accessors (value(), at(), get<T>()) throw their own type_error / out_of_range, and twice one
// escaped a reader and terminated the process (tests/data/fuzz-found: a sweep results header
// whose provenance "date" was a number, a Keras layer whose class_name was an object). The
// fuzzers find such inputs by chance; this walks every position of real documents on purpose.

#include <QTest>

#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "IoTestUtil.h"
#include "TestSupport.h"
#include "analysis/AutoPlan.h"
#include "analysis/SweepConfig.h"
#include "analysis/SweepResult.h"
#include "analysis/SweepResultsFile.h"
#include "common/Error.h"
#include "hw/Platform.h"
#include "io/ConversionPlanFile.h"
#include "io/Hdf5.h"
#include "io/KerasConfig.h"
#include "io/ModelFile.h"
#include "io/NativeFormat.h"
#include "io/ZipArchive.h"
#include "model/ArchitectureParser.h"
#include "model/ShapeInference.h"

using namespace circnn;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string bytesOf(const fs::path& file)
{
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The JSON pointers of every value below the root, each with a signature: the pointer with list
// indices as "#", the class_name of the nearest enclosing object that has one, and the value's
// type. Positions of equal signature are read by the same code, so a caller may try one of each.
struct Position {
    json::json_pointer pointer;
    std::string signature;
};

void collectPositions(const json& v, const json::json_pointer& at, const std::string& shape, std::string cls,
                      std::vector<Position>& out)
{
    if (v.is_object()) {
        if (const auto c = v.find("class_name"); c != v.end() && c->is_string())
            cls = c->get<std::string>();
        for (const auto& [key, child] : v.items()) {
            const std::string s = shape + "/" + key;
            out.push_back({at / key, cls + " " + s + " " + child.type_name()});
            collectPositions(child, at / key, s, cls, out);
        }
    } else if (v.is_array()) {
        for (std::size_t i = 0; i < v.size(); ++i) {
            out.push_back({at / i, cls + " " + shape + "/# " + v[i].type_name()});
            collectPositions(v[i], at / i, shape + "/#", cls, out);
        }
    }
}

// What replaces a value: one of each JSON type (three numbers: an integer that is no valid count, a
// fraction, and one beyond every integer type), a non-empty list and object, and "removed".
const std::vector<json>& replacements()
{
    static const std::vector<json> r{nullptr,
                                     true,
                                     -7,
                                     0.5,
                                     1e300, // beyond every integer type: converting it is undefined (UBSan)
                                     "x",
                                     json::array(),
                                     json::array({1, "a"}),
                                     json::object(),
                                     json::object({{"class_name", 3}})};
    return r;
}

struct Outcome {
    std::size_t mutants = 0, refused = 0;
};

Outcome g_all; // every document's, for the summary line

// How a reader must refuse: with any circnn::Error, or with one of its own messages (not one that
// wraps nlohmann::json's, "[json.exception.type_error.302] type must be string, but is number",
// which does not say which value was wrong).
enum class Messages { Any, Specific };

// Calls `read` with every mutant of `seed`; fails naming the position, the replacement and the
// exception when anything but a circnn::Error escapes. The unchanged seed must read. With `seen`,
// positions whose signature is in it are skipped (and new ones added).
Outcome checkEveryMutant(const std::string& what, json seed, const std::function<void(const json&)>& read,
                         Messages messages = Messages::Any, std::set<std::string>* seen = nullptr)
{
    Outcome o;
    try {
        read(seed);
    } catch (const std::exception& e) {
        QTest::qFail(("the unchanged " + what + " does not read: " + e.what()).c_str(), __FILE__, __LINE__);
        return o;
    }
    std::vector<Position> positions;
    collectPositions(seed, json::json_pointer(), "", "", positions);
    const auto attempt = [&](const std::string& change) {
        ++o.mutants;
        ++g_all.mutants;
        try {
            read(seed);
        } catch (const Error& e) {
            ++o.refused;
            ++g_all.refused;
            if (messages == Messages::Specific && std::string(e.what()).find("[json.exception") != std::string::npos) {
                QTest::qFail((what + ": " + change + ": refused with nlohmann::json's message: " + e.what()).c_str(),
                             __FILE__, __LINE__);
                return false;
            }
        } catch (const std::exception& e) {
            QTest::qFail(
                (what + ": " + change + ": an exception other than circnn::Error escaped: " + e.what()).c_str(),
                __FILE__, __LINE__);
            return false;
        }
        return true;
    };
    // Each change is undone before the next, so every pointer stays valid.
    for (const Position& position : positions) {
        if (seen && !seen->insert(position.signature).second)
            continue;
        const json::json_pointer& p = position.pointer;
        json& node = seed[p];
        const json original = node;
        for (const json& r : replacements()) {
            if (r == original)
                continue;
            node = r;
            const bool ok = attempt(p.to_string() + " = " + r.dump());
            node = original;
            if (!ok)
                return o;
        }
        json& parent = seed[p.parent_pointer()];
        if (parent.is_object()) {
            parent.erase(p.back());
            const bool ok = attempt(p.to_string() + " removed");
            seed[p] = original; // erase invalidated `node`
            if (!ok)
                return o;
        }
    }
    return o;
}

// The model_config of a Keras .h5 file, or the config.json of a .keras archive.
json kerasConfigOf(const fs::path& file)
{
    if (file.extension() == ".keras")
        return json::parse(ZipArchive(file.string()).read("config.json"));
    h5::File f = h5::openFile(file.string());
    return json::parse(h5::readString(f, f.id(), "model_config", "/").value());
}

void checkKerasConfig(const fs::path& file, Outcome& total, std::set<std::string>* seen = nullptr)
{
    const std::string name = file.filename().string();
    const Outcome o = checkEveryMutant(
        "Keras config of " + name, kerasConfigOf(file),
        [&](const json& config) {
            ModelSpec m = keras::parseModelConfig(config, name);
            inferShapes(m, false);
        },
        Messages::Specific, seen);
    total.mutants += o.mutants;
    total.refused += o.refused;
}

// Lines of a JSON-lines file.
std::vector<std::string> linesOf(const std::string& text)
{
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t eol = text.find('\n', start);
        lines.push_back(text.substr(start, eol - start));
        start = eol == std::string::npos ? text.size() : eol + 1;
    }
    return lines;
}

} // namespace

class TestJsonTypes : public QObject {
    Q_OBJECT

private slots:
    void cleanupTestCase() { qInfo("%zu variants read, %zu of them refused", g_all.mutants, g_all.refused); }

    void kerasConfigs()
    {
        // The fuzzer's seeds and the sample models' configs (Keras 2 .h5: Sequential MLP and CNN).
        Outcome total;
        for (const auto& e : fs::directory_iterator(test::sourceDir() / "tests/fuzz/seeds/FuzzKerasConfig"))
            checkEveryMutant(
                e.path().filename().string(), json::parse(bytesOf(e.path())),
                [&](const json& config) {
                    ModelSpec m = keras::parseModelConfig(config, "seed.json");
                    inferShapes(m, false);
                },
                Messages::Specific);
        for (const char* model : {"fashion_mlp_dense.h5", "fashion_cnn_dense.h5"})
            checkKerasConfig(test::sourceDir() / "sample_models" / model, total);
        QVERIFY(total.refused > 0 && total.refused < total.mutants); // some mutants are harmless (a name)
    }

    void kerasFixtureConfigs()
    {
        // Every layer family the readers know, in the Keras 2 (.h5) and Keras 3 (.keras, .h5)
        // layouts: nested models, Bidirectional, MultiHeadAttention's call arguments, convolutions.
        QString why;
        const fs::path dir = test::kerasFixtures(why);
        if (dir.empty())
            QSKIP(qPrintable(why));
        // Positions alike (the same field of the same layer class) are tried in the first file that
        // has them: the files share most of their structure.
        Outcome total;
        std::set<std::string> seen;
        std::size_t files = 0;
        for (const auto& e : fs::directory_iterator(dir)) {
            const std::string n = e.path().filename().string();
            const bool model = (e.path().extension() == ".h5" && n.find(".ref.") == std::string::npos) ||
                               e.path().extension() == ".keras";
            if (!model)
                continue;
            // Only the files Keras itself would write (the generator also writes damaged ones).
            try {
                (void)keras::parseModelConfig(kerasConfigOf(e.path()), n);
            } catch (const std::exception&) {
                continue;
            }
            ++files;
            checkKerasConfig(e.path(), total, &seen);
            if (QTest::currentTestFailed())
                return;
        }
        QVERIFY(files >= 10);
        qInfo("%zu fixture configs, %zu mutants, %zu refused", files, total.mutants, total.refused);
    }

    void conversionPlans()
    {
        for (const auto& e : fs::directory_iterator(test::sourceDir() / "tests/fuzz/seeds/FuzzPlanJson"))
            checkEveryMutant(
                e.path().filename().string(), json::parse(bytesOf(e.path())),
                [](const json& j) { (void)parseConversionPlan(j.dump()); }, Messages::Specific);
    }

    void platforms()
    {
        for (const auto& e : fs::directory_iterator(test::sourceDir() / "resources/platforms"))
            checkEveryMutant(
                e.path().filename().string(), json::parse(bytesOf(e.path())),
                [&](const json& j) { (void)hw::platformFromJson(j, e.path().filename().string()); },
                Messages::Specific);
    }

    void sweepConfigs()
    {
        const fs::path seeds = test::sourceDir() / "tests/fuzz/seeds/FuzzSweepResults/results.jsonl";
        const json header = json::parse(linesOf(bytesOf(seeds)).at(0));
        checkEveryMutant(
            "sweep config", header.at("config"), [](const json& j) { (void)sweepConfigFromJson(j, "sweep.json"); },
            Messages::Specific);
        checkEveryMutant(
            "screenshot sweep config", json::parse(bytesOf(test::sourceDir() / "scripts/screenshot-sweep.json")),
            [](const json& j) { (void)sweepConfigFromJson(j, "sweep.json"); }, Messages::Specific);
    }

    void sweepResults()
    {
        // The header and each kind of line of the seed, one at a time, through the file reader.
        const fs::path dir = test::tempDir() / "json_types";
        fs::create_directories(dir);
        const fs::path file = dir / "results.jsonl";
        for (const char* seed : {"results.jsonl", "shard.jsonl"}) {
            const std::vector<std::string> lines =
                linesOf(bytesOf(test::sourceDir() / "tests/fuzz/seeds/FuzzSweepResults" / seed));
            QVERIFY(lines.size() >= 2);
            for (std::size_t i = 0; i < std::min<std::size_t>(lines.size(), 2); ++i)
                checkEveryMutant(std::string(seed) + " line " + std::to_string(i + 1), json::parse(lines[i]),
                                 [&](const json& j) {
                                     std::string text;
                                     for (std::size_t l = 0; l < lines.size(); ++l)
                                         text += (l == i ? j.dump() : lines[l]) + "\n";
                                     std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
                                     (void)readSweepResults(file);
                                 });
        }
    }

    void architectures()
    {
        for (const char* text : {
                 R"({"name": "n", "input": [8, 8, 2], "k": 4, "layers": [{"conv": 8, "padding": "valid", "kernel": 3,
                     "stride": 1}, {"maxpool": 2}, {"avgpool": 1}, "flatten", {"dropout": 0.5}, {"dense": 16, "k": 2,
                     "activation": "tanh", "bias": false}, {"dense": 3}]})",
                 R"({"input": [12], "layers": [{"embedding": 16, "vocab": 20, "mask_zero": true},
                     {"transformer": {"heads": 2, "key_dim": 8, "ff": 32, "causal": true, "epsilon": 1e-6}, "k": 4},
                     {"lstm": 8, "return_sequences": true}, {"gru": 8, "return_sequences": true},
                     {"simple_rnn": 8, "return_sequences": true}, "global_average_pooling", {"dense": 3}]})",
                 R"({"input": [10, 6], "layers": [
                     {"residual": [{"attention": 3, "key_dim": 4, "value_dim": 5, "bias": false}, {"dropout": 0.1}]},
                     "layer_norm", {"residual": [{"dense": 12}, {"dense": 6, "activation": "linear"}]},
                     {"layer_norm": {"epsilon": 0.01}}, {"attention": {"heads": 1, "key_dim": 2, "output_dim": 4}},
                     "global_max_pooling", {"dense": 2}]})"})
            checkEveryMutant(
                "architecture", json::parse(text), [](const json& j) { (void)parseArchitecture(j.dump()); },
                Messages::Specific);
    }

    void nativeDescriptions()
    {
        // The description the native format keeps in its file (and the isolated reader sends).
        const ModelSpec m = readModelInProcess(test::sourceDir() / "sample_models/fashion_mlp_k8.circnn.h5");
        checkEveryMutant("native description", native::describeModel(m),
                         [](const json& j) { (void)native::modelFromDescription(j, "model.circnn.h5"); });
    }

    void autoPlanResults()
    {
        // A result as `circnn autoplan --output` writes it, with a verification and its point.
        const std::vector<std::string> lines =
            linesOf(bytesOf(test::sourceDir() / "tests/fuzz/seeds/FuzzSweepResults/results.jsonl"));
        AutoPlanResult r;
        r.model = "m.h5";
        r.mode = "project";
        r.objective = "parameters";
        r.objectiveUnit = "parameters";
        r.layers = {"dense_1", "dense_2"};
        r.blockSizes = {1, 4, 16};
        r.plan = {{"dense_1", 16}, {"dense_2", 1}};
        AutoPlanVerification v;
        v.candidate.blocks = r.plan;
        r.verifications = {v};
        r.planPoint = sweepPointFromJson(json::parse(lines.at(1)), "results.jsonl line 2");
        r.warnings = {"w"};
        checkEveryMutant("autoplan result", json::parse(autoPlanToJson(r).dump()),
                         [](const json& j) { (void)autoPlanFromJson(j, "plan.json"); });
    }
};

QTEST_GUILESS_MAIN(TestJsonTypes)
#include "TestJsonTypes.moc"
