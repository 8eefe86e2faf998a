// `circnn train`: trains a model — from scratch from an architecture description (shorthand or
// JSON, dense or block-circulant with -k), or further from an existing model file.

#include <filesystem>
#include <iomanip>
#include <ostream>

#include "ArgParser.h"
#include "CommandRegistry.h"
#include "TrainingCli.h"
#include "analysis/TrainWorkflow.h"
#include "analysis/WorkflowJson.h"

namespace circnn::cli {

namespace {

int runTrain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    ArgParser p("circnn train", "Train a model (dense or block-circulant) with softmax cross-entropy, or with the "
                                "mean squared error for reconstruction / regression models (--task).");
    p.positional("SPEC|MODEL", "Architecture shorthand (784-256-256-10, 28x28x1-c16-p2-c32-p2-64-10), a JSON "
                               "architecture (.json file or inline text starting with '{'), or a model file to "
                               "train further as it is.");
    p.option("k", "K",
             "Block size for the Dense/Conv2D, recurrent and attention layers of an architecture (1 = dense). "
             "Layers too small for K and the output layer stay dense.",
             "1", 'k');
    p.flag("convert-output", "Make the output layer block-circulant too (architectures only).");
    p.option("name", "NAME", "Model name (architectures only).");
    p.option("task", "TASK",
             "classify (softmax cross-entropy against labels), reconstruct (MSE against the input: autoencoders), "
             "regress (MSE against --targets-key) or auto (an architecture: classify; a model file: reconstruct "
             "when output shape = input shape and the output is linear). For reconstruct / regress an "
             "architecture's output layer is linear, the data needs no labels and the best epoch is the one "
             "with the lowest validation MSE.",
             "auto");
    addTrainingOptions(p, TrainingDefaults{});
    p.epilog(
        "Architecture shorthand: INPUT-LAYER-...; INPUT is a width (784) or HxWxC (28x28x1); a number is a\n"
        "Dense layer (relu; the last one softmax); cN = Conv2D N filters 3x3 'same' relu (cNkK: KxK);\n"
        "pN = MaxPooling2D NxN; a Flatten is inserted before the first Dense after images.\n"
        "JSON: {\"input\":[28,28,1],\"layers\":[{\"conv\":16,\"kernel\":3},{\"maxpool\":2},{\"dense\":10}]}\n"
        "(see docs/accuracy.md). Sequence models (input [steps] of token ids, or [steps, features]):\n"
        "  {\"embedding\":16,\"vocab\":V,\"mask_zero\":true}  "
        "{\"lstm\"|\"gru\"|\"simple_rnn\":U,\"return_sequences\":true}\n"
        "  {\"attention\":{\"heads\":H,\"key_dim\":D,\"causal\":true}}  \"layer_norm\"  \"global_average_pooling\"\n"
        "  {\"residual\":[entries]} (adds the entries' input to their output)\n"
        "  {\"transformer\":{\"heads\":H,\"key_dim\":D,\"ff\":F,\"causal\":true,\"dropout\":0.1}}: the encoder\n"
        "  block attention -> add -> layer_norm -> dense F -> dense -> add -> layer_norm\n"
        "(see docs/sequence-models.md, \"Architecture descriptions\"). Examples:\n"
        "  circnn train 784-256-256-10 -k 8 --data train-images-idx3-ubyte.gz --epochs 5 -o m.circnn.h5\n"
        "  circnn train 640-128-8-128-640 -k 8 --task reconstruct --data ae_train.npz -o ae.circnn.h5\n"
        "  circnn train '{\"input\":[16],\"layers\":[{\"embedding\":16,\"vocab\":10,\"mask_zero\":true},\n"
        "    {\"transformer\":{\"heads\":2,\"key_dim\":8,\"ff\":32,\"causal\":true}},\"global_average_pooling\",\n"
        "    {\"dense\":2}]}' -k 4 --data train.npz --test test.npz --epochs 10 --batch 32 --lr 0.003 -o t.circnn.h5");
    if (!p.parse(args, out))
        return 0;
    if (!p.given("output"))
        throw ArgError("-o OUT is required");
    TrainConfig config;
    config.source = p.get("SPEC|MODEL");
    config.blockSize = p.getInt("k", 1);
    if (config.blockSize < 1)
        throw ArgError("-k must be >= 1, got " + std::to_string(config.blockSize));
    std::error_code ec;
    if (p.given("k") && config.blockSize != 1 && !isArchitectureDescription(config.source) &&
        std::filesystem::exists(config.source, ec))
        throw ArgError("-k applies to architectures; to convert a trained model use circnn finetune");
    config.convertOutputLayer = p.given("convert-output");
    if (p.given("name"))
        config.name = p.get("name");
    config.training = trainOptionsFromArgs(p);
    try {
        config.training.task = parseTask(p.get("task"));
    } catch (const Error& e) {
        throw ArgError(std::string("--task: ") + e.what());
    }
    if (config.training.task == Task::Regress && !p.given("targets-key"))
        throw ArgError("--task regress needs --targets-key NAME (the HDF5 dataset / npz member holding the targets)");
    fillTrainingRun(p, "train", config, out, err);
    const TrainModelResult result = trainModel(config);

    if (p.given("json")) {
        out << toJson(result).dump(2) << "\n";
        return 0;
    }
    for (const std::string& w : result.warnings)
        err << "warning: " << w << "\n";
    const TrainingSummary& t = result.training;
    if (result.task != Task::Classify) { // MSE loss and metric: lower is better
        out << "best epoch " << t.bestEpoch << " (validation MSE " << std::scientific << std::setprecision(4)
            << t.bestValidationAccuracy << "), " << std::fixed << std::setprecision(1) << t.seconds << " s, "
            << std::setprecision(0) << t.imagesPerSecond << " samples/s\n";
        if (result.test) {
            out << "test (" << taskName(result.task) << ") MSE " << std::scientific << std::setprecision(4)
                << result.test->errors.meanSquaredError << ", MAE " << result.test->errors.meanAbsoluteError;
            if (result.test->errors.rocAuc)
                out << ", ROC AUC " << std::fixed << std::setprecision(4) << *result.test->errors.rocAuc;
            out << " on " << result.test->count << " samples\n";
        }
    } else {
        out << "best epoch " << t.bestEpoch << " (validation accuracy " << std::fixed << std::setprecision(2)
            << 100.0 * t.bestValidationAccuracy << "%), " << std::setprecision(1) << t.seconds << " s, "
            << std::setprecision(0) << t.imagesPerSecond << " images/s\n";
        if (result.test)
            out << "test top-1 " << std::setprecision(2) << 100.0 * result.test->top1 << "% on " << result.test->count
                << " samples\n";
    }
    out.unsetf(std::ios::floatfield);
    out << "wrote " << p.get("output") << " (" << result.saved->format << ", " << result.parameters << " parameters)\n";
    return 0;
}

const CommandRegistrar
    registrar({"train", "Train a model (from an architecture or a model file), dense or block-circulant.", runTrain});

} // namespace

} // namespace circnn::cli
