#include "TrainingCli.h"

#include <chrono>
#include <cmath>
#include <iomanip>
#include <memory>
#include <ostream>
#include <sstream>

#include <unistd.h>

namespace circnn::cli {

namespace {

std::string formatDuration(double seconds)
{
    const long s = static_cast<long>(seconds + 0.5);
    std::ostringstream os;
    os << s / 60 << ":" << std::setw(2) << std::setfill('0') << s % 60;
    return os.str();
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
        .option("warmup", "E",
                "Linear learning-rate warm-up over the first E epochs' mini-batches (0 = none; "
                "fractions allowed).",
                defaults.warmup)
        .option("batch", "N", "Mini-batch size.", defaults.batch)
        .option("val-split", "F",
                "Fraction of the training data held out for validation (seeded); the "
                "best epoch by validation accuracy is kept.",
                "0.1")
        .option("augment-shift", "P", "Shift training images by up to P pixels at random (0 = off).", "0")
        .option("seed", "S", "Seed for initialisation, shuffling, split and dropout.", "1")
        .option("test", "FILE", "Evaluate the result on this labelled dataset (same formats as --data).")
        .option("test-labels", "FILE",
                "IDX labels file for --test (default: derived). With --task reconstruct / regress: 0 (normal) / 1 "
                "(anomalous) labels for the ROC AUC.")
        .option("targets-key", "NAME",
                "With --task regress: HDF5 dataset / npz member holding the targets (of --data and --test).");
    addIntegerValuesOption(p);
    p.option("output", "OUT", "Output model: .h5 (Keras, dense models only) or .circnn.h5 (native).", "", 'o')
        .flag("force", "Replace an existing -o file of another format (e.g. a Keras .h5 by a native model).")
        .flag("json", "Print the final metrics as JSON on stdout.");
}

TrainOptions trainOptionsFromArgs(const ArgParser& p)
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
    o.optimizer.learningRate =
        p.given("lr") ? p.getDouble("lr", NumberRange::positive()) : (*kind == OptimizerKind::Adam ? 1e-3 : 1e-2);
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
    return o;
}

TrainingCallbacks terminalTrainingCallbacks(const ArgParser& p, int totalEpochs, std::ostream& out, std::ostream& err)
{
    TrainingCallbacks c;
    const bool json = p.given("json");
    const bool tty = isatty(STDERR_FILENO);
    if (tty) {
        auto last = std::make_shared<std::chrono::steady_clock::time_point>();
        std::ostream* e = &err;
        c.onStatus = [e, last](const TrainStatus& s) {
            const auto now = std::chrono::steady_clock::now();
            if (s.batch != s.batches && now - *last < std::chrono::milliseconds(200))
                return true;
            *last = now;
            std::ostringstream line;
            line << "\repoch " << s.epoch << "/" << s.epochs << "  batch " << s.batch << "/" << s.batches << "  loss "
                 << std::fixed << std::setprecision(4) << s.loss;
            if (std::isfinite(s.accuracy)) // NaN for the MSE loss (reconstruct / regress)
                line << "  acc " << std::setprecision(2) << 100.0 * s.accuracy << "%";
            line << "  ETA " << formatDuration(s.etaSeconds) << "   ";
            *e << line.str() << std::flush;
            return true;
        };
    }
    if (!json || tty) {
        std::ostream* os = &out;
        std::ostream* e = &err;
        c.onEpoch = [os, e, tty, json, totalEpochs](const EpochRecord& r) {
            if (tty)
                *e << "\r" << std::string(78, ' ') << "\r" << std::flush; // clear the progress line
            if (json)
                return;
            if (std::isnan(r.trainAccuracy)) { // the MSE loss (reconstruct / regress): no accuracy
                *os << "epoch " << r.epoch << "/" << totalEpochs << "  MSE " << std::scientific << std::setprecision(4)
                    << r.trainLoss << "  val_MSE " << r.valLoss << "  " << std::fixed << std::setprecision(1)
                    << r.seconds << " s" << std::endl;
                return;
            }
            *os << "epoch " << r.epoch << "/" << totalEpochs << "  loss " << std::fixed << std::setprecision(4)
                << r.trainLoss << "  acc " << std::setprecision(2) << 100.0 * r.trainAccuracy << "%  val_loss "
                << std::setprecision(4) << r.valLoss << "  val_acc " << std::setprecision(2) << 100.0 * r.valAccuracy
                << "%  " << std::setprecision(1) << r.seconds << " s" << std::endl;
        };
    }
    return c;
}

DataSource trainingDataSource(const ArgParser& p)
{
    if (!p.given("data"))
        throw ArgError("--data is required (the training images)");
    DataSource d;
    d.path = p.get("data");
    if (p.given("labels"))
        d.options.labelsPath = p.get("labels");
    d.options.targetsKey = p.given("targets-key") ? p.get("targets-key") : std::string();
    d.options.limit = p.getInt("limit");
    if (d.options.limit < 0)
        throw ArgError("--limit must be >= 0");
    d.options.integerValues = integerValuesFromArgs(p);
    return d;
}

DataSource testDataSource(const ArgParser& p)
{
    DataSource d;
    if (!p.given("test"))
        return d;
    d.path = p.get("test");
    if (p.given("test-labels"))
        d.options.labelsPath = p.get("test-labels");
    d.options.targetsKey = p.given("targets-key") ? p.get("targets-key") : std::string();
    d.options.integerValues = integerValuesFromArgs(p);
    return d;
}

void addIntegerValuesOption(ArgParser& p)
{
    p.option("integers", "WHAT",
             "What integer sample values are: pixels (scaled by 1/255), ids (token ids for an Embedding, kept "
             "as they are) or auto (ids when the file marks them: HDF5 attribute token_ids=1 on the images, npz "
             "member token_ids.npy; else pixels).",
             "auto");
}

IntegerValues integerValuesFromArgs(const ArgParser& p)
{
    try {
        return parseIntegerValues(p.get("integers"));
    } catch (const Error& e) {
        throw ArgError(std::string("--integers: ") + e.what());
    }
}

SavePolicy savePolicyFor(const std::string& command)
{
    SavePolicy s;
    s.createdBy = "circnn " + command + " " CIRCNN_VERSION;
    return s;
}

} // namespace circnn::cli
