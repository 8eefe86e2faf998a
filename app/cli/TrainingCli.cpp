#include "TrainingCli.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iomanip>
#include <memory>
#include <ostream>
#include <sstream>

#include <unistd.h>

#include "io/DatasetFile.h"
#include "io/ModelFile.h"
#include "model/ShapeInference.h"

namespace circnn::cli {

namespace {

std::string formatDuration(double seconds)
{
    const long s = static_cast<long>(seconds + 0.5);
    std::ostringstream os;
    os << s / 60 << ":" << std::setw(2) << std::setfill('0') << s % 60;
    return os.str();
}

std::string nowIso()
{
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

void addTrainingOptions(ArgParser& p, const TrainingDefaults& defaults)
{
    p.option("data", "FILE", "Training images: IDX (.gz) images file, HDF5 (x/y datasets) or .npz.")
        .option("labels", "FILE", "IDX labels file (default: derived from the images file name).")
        .option("limit", "N", "Use only the first N training samples (0 = all).", "0")
        .option("epochs", "N", "Number of epochs.", defaults.epochs)
        .option("optimizer", "NAME", "adam or sgd.", defaults.optimizer)
        .option("lr", "RATE", "Base learning rate (default 0.001 for adam, 0.01 for sgd).")
        .option("momentum", "M", "SGD momentum.", "0.9")
        .option("weight-decay", "L", "L2 weight decay on kernels / circulant vectors (not biases).", "0")
        .option("schedule", "NAME", "Learning-rate schedule per epoch: constant, step or cosine.", defaults.schedule)
        .option("step-epochs", "N", "step schedule: epochs between decays (0 = epochs/3).", "0")
        .option("gamma", "G", "step schedule: factor per decay.", "0.1")
        .option("warmup", "E", "Linear learning-rate warm-up over the first E epochs' mini-batches (0 = none; "
                               "fractions allowed).", defaults.warmup)
        .option("batch", "N", "Mini-batch size.", defaults.batch)
        .option("val-split", "F", "Fraction of the training data held out for validation (seeded); the "
                                  "best epoch by validation accuracy is kept.", "0.1")
        .option("augment-shift", "P", "Shift training images by up to P pixels at random (0 = off).", "0")
        .option("seed", "S", "Seed for initialisation, shuffling, split and dropout.", "1")
        .option("test", "FILE", "Evaluate the result on this labelled dataset (same formats as --data).")
        .option("test-labels", "FILE", "IDX labels file for --test (default: derived).")
        .option("output", "OUT", "Output model: .h5 (Keras, dense models only) or .circnn.h5 (native).", "", 'o')
        .flag("force", "Replace an existing -o file of another format (e.g. a Keras .h5 by a native model).")
        .flag("json", "Print the final metrics as JSON on stdout.");
}

TrainOptions trainOptionsFromArgs(const ArgParser& p, std::ostream& out, std::ostream& err)
{
    TrainOptions o;
    const std::int64_t epochs = p.getInt("epochs");
    if (epochs < 1 || epochs > 100000)
        throw ArgError("--epochs must be in [1, 100000], got " + std::to_string(epochs));
    o.epochs = static_cast<int>(epochs);
    o.batchSize = p.getInt("batch", 1);
    if (o.batchSize < 1)
        throw ArgError("--batch must be >= 1, got " + std::to_string(o.batchSize));
    const auto kind = optimizerFromName(p.get("optimizer"));
    if (!kind)
        throw ArgError("--optimizer must be adam or sgd, got '" + p.get("optimizer") + "'");
    o.optimizer.kind = *kind;
    o.optimizer.learningRate = p.given("lr") ? p.getDouble("lr", NumberRange::positive()) : (*kind == OptimizerKind::Adam ? 1e-3 : 1e-2);
    o.optimizer.momentum = p.getDouble("momentum", NumberRange::fraction());
    o.optimizer.weightDecay = p.getDouble("weight-decay");
    const auto sched = scheduleFromName(p.get("schedule"));
    if (!sched)
        throw ArgError("--schedule must be constant, step or cosine, got '" + p.get("schedule") + "'");
    o.schedule.kind = *sched;
    o.schedule.stepEpochs = static_cast<int>(p.getInt("step-epochs", 0, 100000));
    o.schedule.gamma = p.getDouble("gamma", {0, 1, false, true});
    o.schedule.warmupEpochs = p.getDouble("warmup");
    if (!(o.schedule.warmupEpochs >= 0))
        throw ArgError("--warmup must be >= 0, got " + p.get("warmup"));
    o.validationSplit = p.getDouble("val-split", NumberRange::fraction());
    if (!(o.validationSplit >= 0 && o.validationSplit < 1))
        throw ArgError("--val-split must be in [0, 1), got " + p.get("val-split"));
    const std::int64_t seed = p.getInt("seed");
    if (seed < 0 || seed > 0xffffffffLL)
        throw ArgError("--seed must be in [0, 4294967295], got " + p.get("seed"));
    o.seed = static_cast<std::uint32_t>(seed);
    const std::int64_t shift = p.getInt("augment-shift");
    if (shift < 0 || shift > 1000)
        throw ArgError("--augment-shift must be in [0, 1000], got " + p.get("augment-shift"));
    o.augmentShift = static_cast<int>(shift);

    const bool json = p.given("json");
    if (isatty(STDERR_FILENO)) {
        auto last = std::make_shared<std::chrono::steady_clock::time_point>();
        std::ostream* e = &err;
        o.onStatus = [e, last](const TrainStatus& s) {
            const auto now = std::chrono::steady_clock::now();
            if (s.batch != s.batches && now - *last < std::chrono::milliseconds(200))
                return true;
            *last = now;
            std::ostringstream line;
            line << "\repoch " << s.epoch << "/" << s.epochs << "  batch " << s.batch << "/" << s.batches
                 << "  loss " << std::fixed << std::setprecision(4) << s.loss << "  acc " << std::setprecision(2)
                 << 100.0 * s.accuracy << "%  ETA " << formatDuration(s.etaSeconds) << "   ";
            *e << line.str() << std::flush;
            return true;
        };
    }
    const bool tty = isatty(STDERR_FILENO);
    if (!json || tty) {
        std::ostream* os = &out;
        std::ostream* e = &err;
        const int total = o.epochs;
        o.onEpoch = [os, e, tty, json, total](const EpochRecord& r) {
            if (tty)
                *e << "\r" << std::string(78, ' ') << "\r" << std::flush;  // clear the progress line
            if (json)
                return;
            *os << "epoch " << r.epoch << "/" << total << "  loss " << std::fixed << std::setprecision(4) << r.trainLoss
                << "  acc " << std::setprecision(2) << 100.0 * r.trainAccuracy << "%  val_loss " << std::setprecision(4)
                << r.valLoss << "  val_acc " << std::setprecision(2) << 100.0 * r.valAccuracy << "%  "
                << std::setprecision(1) << r.seconds << " s" << std::endl;
        };
    }
    return o;
}

Dataset loadTrainingData(const ArgParser& p, const Shape& inputShape, Shape* imageShape)
{
    if (!p.given("data"))
        throw ArgError("--data is required (the training images)");
    DatasetOptions d;
    if (p.given("labels"))
        d.labelsPath = p.get("labels");
    d.limit = p.getInt("limit");
    if (d.limit < 0)
        throw ArgError("--limit must be >= 0");
    Dataset data = readDataset(p.get("data"), d);
    if (imageShape) {
        const Shape& s = data.images.shape();
        if (s.size() == 3)
            *imageShape = {s[1], s[2], 1};
        else if (s.size() == 4)
            *imageShape = {s[1], s[2], s[3]};
        else
            imageShape->clear();
    }
    fitDatasetToInput(data, inputShape);
    return data;
}

bool loadTestData(const ArgParser& p, const Shape& inputShape, Dataset& test)
{
    if (!p.given("test"))
        return false;
    DatasetOptions d;
    if (p.given("test-labels"))
        d.labelsPath = p.get("test-labels");
    test = readDataset(p.get("test"), d);
    fitDatasetToInput(test, inputShape);
    return true;
}

std::string saveTrainedModel(ModelSpec model, const std::filesystem::path& path, const std::string& command,
                             std::vector<std::string>& warnings, bool force)
{
    ModelWriteOptions writeOptions;
    writeOptions.replaceOtherFormat = force;
    model.provenance.createdBy = "circnn " + command + " " CIRCNN_VERSION;
    model.provenance.createdAt = nowIso();
    const std::string name = path.filename().string();
    bool circulant = false;
    for (const LayerSpec& l : model.layers)
        circulant = circulant || l.circulant.has_value();
    if (endsWith(name, ".h5") && !endsWith(name, ".circnn.h5")) {
        if (!circulant) {
            writeKerasH5(model, path, writeOptions);
            return "keras-h5";
        }
        warnings.push_back(path.string() + ": the model has block-circulant layers, which Keras cannot store; "
                                           "written in the native CirCNN format (name it .circnn.h5)");
    }
    writeNativeModel(model, path, writeOptions);
    return "circnn";
}

std::int64_t storedParameters(const ModelSpec& model) { return modelStats(model).parameters; }

nlohmann::json historyToJson(const std::vector<EpochRecord>& history)
{
    nlohmann::json a = nlohmann::json::array();
    for (const EpochRecord& r : history)
        a.push_back({{"epoch", r.epoch}, {"loss", r.trainLoss}, {"accuracy", r.trainAccuracy},
                     {"valLoss", r.valLoss}, {"valAccuracy", r.valAccuracy}, {"seconds", r.seconds}});
    return a;
}

nlohmann::json trainResultToJson(const std::string& command, const std::string& output, const std::string& format,
                                 const TrainResult& result, const std::vector<std::string>& warnings)
{
    return {{"command", command},
            {"output", output},
            {"format", format},
            {"parameters", storedParameters(result.model)},
            {"bestEpoch", result.bestEpoch},
            {"bestValidationAccuracy", result.bestValidationAccuracy},
            {"trainCount", result.trainCount},
            {"validationCount", result.validationCount},
            {"seconds", result.seconds},
            {"imagesPerSecond", result.imagesPerSecond},
            {"history", historyToJson(result.history)},
            {"warnings", warnings}};
}

nlohmann::json evaluationToJson(const Evaluation& e)
{
    return {{"count", e.count}, {"top1", e.top1}, {"top5", e.top5}, {"meanCrossEntropy", e.meanCrossEntropy}};
}

} // namespace circnn::cli
