// `circnn train`: trains a model — from scratch from an architecture description (shorthand or
// JSON, dense or block-circulant with -k), or further from an existing model file.

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "ArgParser.h"
#include "CommandRegistry.h"
#include "TrainingCli.h"
#include "common/InputFile.h"
#include "io/ModelFile.h"
#include "nn/Evaluation.h"
#include "nn/Model.h"
#include "nn/training/Architecture.h"

namespace circnn::cli {

namespace {

int runTrain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    ArgParser p("circnn train", "Train a model with softmax cross-entropy (dense or block-circulant).");
    p.positional("SPEC|MODEL", "Architecture shorthand (784-256-256-10, 28x28x1-c16-p2-c32-p2-64-10), a JSON "
                               "architecture (.json file or inline text starting with '{'), or a model file to "
                               "train further as it is.");
    p.option("k", "K", "Block size for the Dense/Conv2D layers of an architecture (1 = dense). Layers too small "
                       "for K and the output layer stay dense.", "1", 'k');
    p.flag("convert-output", "Make the output layer block-circulant too (architectures only).");
    p.option("name", "NAME", "Model name (architectures only).");
    addTrainingOptions(p, TrainingDefaults{});
    p.epilog("Architecture shorthand: INPUT-LAYER-...; INPUT is a width (784) or HxWxC (28x28x1); a number is a\n"
             "Dense layer (relu; the last one softmax); cN = Conv2D N filters 3x3 'same' relu (cNkK: KxK);\n"
             "pN = MaxPooling2D NxN; a Flatten is inserted before the first Dense after images.\n"
             "JSON: {\"input\":[28,28,1],\"layers\":[{\"conv\":16,\"kernel\":3},{\"maxpool\":2},{\"dense\":10}]}\n"
             "(see docs/accuracy.md). Example:\n"
             "  circnn train 784-256-256-10 -k 8 --data train-images-idx3-ubyte.gz --epochs 5 -o m.circnn.h5");
    if (!p.parse(args, out))
        return 0;
    if (!p.given("output"))
        throw ArgError("-o OUT is required");
    const std::string source = p.get("SPEC|MODEL");
    const std::int64_t k = p.getInt("k", 1);
    {
        // Before training: an existing OUT of another format needs --force (the format the save
        // will most likely choose; saveTrainedModel checks the actual one again).
        const std::string o = p.get("output");
        const bool keras = k == 1 && o.size() > 3 && o.compare(o.size() - 3, 3, ".h5") == 0 &&
                           (o.size() < 10 || o.compare(o.size() - 10, 10, ".circnn.h5") != 0);
        checkModelReplaceable(o, keras ? ModelFormat::KerasH5 : ModelFormat::Native, ModelWriteOptions{p.given("force")});
    }
    if (k < 1)
        throw ArgError("-k must be >= 1, got " + std::to_string(k));

    TrainOptions options = trainOptionsFromArgs(p, out, err);
    std::vector<std::string> warnings;
    ModelSpec initial;
    const std::filesystem::path sourcePath(source);
    const bool isJsonText = !source.empty() && source.front() == '{';
    const bool isJsonFile = !isJsonText && sourcePath.extension() == ".json";
    if (isJsonText || isJsonFile || isArchitectureShorthand(source)) {
        std::string text = source;
        if (isJsonFile)
            text = readTextInput(sourcePath, "architecture file");
        ArchitectureOptions ao;
        ao.blockSize = k;
        ao.circulantOutput = p.given("convert-output");
        ao.seed = options.seed;
        ao.trainingBatch = options.batchSize;
        if (p.given("name"))
            ao.name = p.get("name");
        BuiltArchitecture built = buildArchitecture(text, ao);
        initial = std::move(built.model);
        warnings = std::move(built.warnings);
    } else {
        if (!std::filesystem::exists(sourcePath))
            throw Error("'" + source + "' is neither an architecture description (e.g. 784-256-10) nor an existing "
                        "model file");
        if (p.given("k") && k != 1)
            throw ArgError("-k applies to architectures; to convert a trained model use circnn finetune");
        initial = readModel(sourcePath);
    }

    Dataset data = loadTrainingData(p, Model(initial).inputShape(), &options.imageShape);
    TrainResult result = trainModel(initial, data, options);
    for (const std::string& w : result.warnings)
        warnings.push_back(w);

    Dataset test;
    nlohmann::json testJson;
    if (loadTestData(p, result.model.layers.front().inputShape, test)) {
        Model trained(result.model);
        testJson = evaluationToJson(evaluate(trained, test));
    }
    const std::string format = saveTrainedModel(result.model, p.get("output"), "train", warnings, p.given("force"));

    if (p.given("json")) {
        nlohmann::json j = trainResultToJson("train", p.get("output"), format, result, warnings);
        if (!testJson.is_null())
            j["test"] = testJson;
        out << j.dump(2) << "\n";
    } else {
        for (const std::string& w : warnings)
            err << "warning: " << w << "\n";
        out << "best epoch " << result.bestEpoch << " (validation accuracy " << std::fixed << std::setprecision(2)
            << 100.0 * result.bestValidationAccuracy << "%), " << std::setprecision(1) << result.seconds << " s, "
            << std::setprecision(0) << result.imagesPerSecond << " images/s\n";
        if (!testJson.is_null())
            out << "test top-1 " << std::setprecision(2) << 100.0 * testJson["top1"].get<double>() << "% on "
                << testJson["count"].get<std::int64_t>() << " samples\n";
        out << "wrote " << p.get("output") << " (" << format << ", " << storedParameters(result.model)
            << " parameters)\n";
    }
    return 0;
}

const CommandRegistrar registrar({"train", "Train a model (from an architecture or a model file), dense or block-circulant.",
                                  runTrain});

} // namespace

} // namespace circnn::cli
