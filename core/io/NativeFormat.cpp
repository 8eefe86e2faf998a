#include "io/NativeFormat.h"

#include <chrono>
#include <cmath>
#include <ctime>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "io/Hdf5.h"
#include "model/JsonIntegers.h"
#include "model/LayerTraits.h"
#include "model/ShapeInference.h"

namespace circnn::native {

using nlohmann::json;

namespace {

const char* paddingName(Padding p)
{
    return p == Padding::Same ? "same" : p == Padding::Causal ? "causal" : "valid";
}

Padding paddingFromName(const std::string& p)
{
    return p == "same" ? Padding::Same : p == "causal" ? Padding::Causal : Padding::Valid;
}

json layerToJson(const LayerSpec& l)
{
    json j;
    j["name"] = l.name;
    j["kind"] = layerKindName(l.kind);
    j["class_name"] = l.className;
    j["inputs"] = l.inputs;
    j["activation"] = activationName(l.activation);
    j["activation_alpha"] = l.activationAlpha.value_or(0.0f); // 0: the Keras default
    j["input_shape"] = l.inputShape;
    j["units"] = l.units;
    j["use_bias"] = l.useBias;
    j["kernel_size"] = {l.kernelH, l.kernelW};
    j["strides"] = {l.strideH, l.strideW};
    j["dilation"] = {l.dilationH, l.dilationW};
    j["padding"] = paddingName(l.padding);
    j["zero_padding"] = {l.padTop, l.padBottom, l.padLeft, l.padRight};
    j["depth_multiplier"] = l.depthMultiplier;
    j["target_shape"] = l.targetShape;
    j["axis"] = l.axis;
    j["epsilon"] = l.epsilon;
    j["center"] = l.center;
    j["scale"] = l.scale;
    j["rate"] = l.rate;
    j["representation"] = l.circulant ? "circulant" : "dense";
    // Issue 15 layers (format 1.x readers ignore unknown keys; absent keys take the defaults).
    j["bilinear"] = l.bilinear;
    if (l.outputPadding) // absent: None
        j["output_padding"] = {l.outputPadding->first, l.outputPadding->second};
    j["rescale"] = {l.rescaleScale, l.rescaleOffset};
    j["invert"] = l.invert;
    j["stats_in_config"] = l.statsInConfig;
    j["permute_dims"] = l.permuteDims;
    j["repeats"] = l.repeats;
    if (!l.axes.empty()) // LayerNormalization (absent: none)
        j["axes"] = l.axes;
    if (l.kind == LayerKind::Masking) // format 1.3 (absent: 0)
        j["mask_value"] = l.maskValue;
    if (l.kind == LayerKind::MultiHeadAttention) { // which projections are block-circulant: their datasets
        j["attention"] = {{"num_heads", l.numHeads},
                          {"key_dim", l.keyDim},
                          {"value_dim", l.valueDim},
                          {"use_causal_mask", l.useCausalMask}};
    }
    // (recurrentKernel is empty in an architecture-only model: its recorded shape counts too.)
    if (l.kind == LayerKind::Embedding || !l.recurrentKernel.empty() || l.recurrentCirculant ||
        l.weightShapes.count("recurrent_kernel"))
        j["sequence"] = {{"recurrent_activation", activationName(l.recurrentActivation)},
                         {"return_sequences", l.returnSequences},
                         {"return_state", l.returnState},
                         {"go_backwards", l.goBackwards},
                         {"reset_after", l.resetAfter},
                         {"zero_output_for_mask", l.zeroOutputForMask},
                         {"input_dim", l.inputDim},
                         {"mask_zero", l.maskZero},
                         {"recurrent_representation", l.recurrentCirculant ? "circulant" : "dense"},
                         {"reverse_output_steps", l.reverseOutputSteps}};
    return j;
}

std::int64_t pairAt(const json& j, const char* key, std::size_t i)
{
    return json_integers::get<std::int64_t>(j.at(key).at(i));
}

LayerSpec layerFromJson(const json& j, const std::string& file)
{
    LayerSpec l;
    l.name = j.at("name").get<std::string>();
    const std::string kind = j.at("kind").get<std::string>();
    const auto k = layerKindFromName(kind);
    if (!k)
        throw FormatError(file + ": layer '" + l.name + "' has unknown kind '" + kind +
                          "'; supported: " + supportedLayerClasses());
    l.kind = *k;
    l.className = j.value("class_name", kind);
    l.inputs = j.at("inputs").get<std::vector<std::string>>();
    const std::string act = j.at("activation").get<std::string>();
    const auto a = activationFromName(act);
    if (!a)
        throw FormatError(file + ": layer '" + l.name + "' has unknown activation '" + act + "'");
    l.activation = *a;
    if (const float alpha = j.at("activation_alpha").get<float>(); alpha != 0.0f)
        l.activationAlpha = alpha;
    l.inputShape = json_integers::get<Shape>(j.at("input_shape"));
    l.units = json_integers::get<std::int64_t>(j.at("units"));
    l.useBias = j.at("use_bias").get<bool>();
    l.kernelH = pairAt(j, "kernel_size", 0);
    l.kernelW = pairAt(j, "kernel_size", 1);
    l.strideH = pairAt(j, "strides", 0);
    l.strideW = pairAt(j, "strides", 1);
    l.dilationH = pairAt(j, "dilation", 0);
    l.dilationW = pairAt(j, "dilation", 1);
    l.padding = paddingFromName(j.at("padding").get<std::string>());
    l.padTop = pairAt(j, "zero_padding", 0);
    l.padBottom = pairAt(j, "zero_padding", 1);
    l.padLeft = pairAt(j, "zero_padding", 2);
    l.padRight = pairAt(j, "zero_padding", 3);
    l.targetShape = json_integers::get<Shape>(j.at("target_shape"));
    l.depthMultiplier = json_integers::value(j, "depth_multiplier", std::int64_t(1));
    l.axis = json_integers::get<std::int64_t>(j.at("axis"));
    l.epsilon = j.at("epsilon").get<float>();
    l.center = j.value("center", true);
    l.scale = j.value("scale", true);
    l.rate = j.at("rate").get<float>();
    l.bilinear = j.value("bilinear", false);
    if (j.contains("output_padding"))
        l.outputPadding = std::pair{pairAt(j, "output_padding", 0), pairAt(j, "output_padding", 1)};
    if (j.contains("rescale")) {
        l.rescaleScale = j.at("rescale").at(0).get<float>();
        l.rescaleOffset = j.at("rescale").at(1).get<float>();
    }
    l.invert = j.value("invert", false);
    l.statsInConfig = j.value("stats_in_config", false);
    l.permuteDims = json_integers::value(j, "permute_dims", std::vector<std::int64_t>{});
    l.repeats = json_integers::value(j, "repeats", std::int64_t(1));
    l.axes = json_integers::value(j, "axes", std::vector<std::int64_t>{});
    l.maskValue = j.value("mask_value", 0.0f);
    if (!std::isfinite(l.maskValue))
        throw FormatError(file + ": layer '" + l.name + "' has a mask_value that is not a finite number");
    if (const auto att = j.find("attention"); att != j.end()) {
        l.numHeads = json_integers::get<std::int64_t>(att->at("num_heads"));
        l.keyDim = json_integers::get<std::int64_t>(att->at("key_dim"));
        l.valueDim = json_integers::get<std::int64_t>(att->at("value_dim"));
        l.useCausalMask = att->at("use_causal_mask").get<bool>();
    }
    if (const auto seq = j.find("sequence"); seq != j.end()) {
        const std::string rec = seq->at("recurrent_activation").get<std::string>();
        const auto ra = activationFromName(rec);
        if (!ra)
            throw FormatError(file + ": layer '" + l.name + "' has unknown recurrent activation '" + rec + "'");
        l.recurrentActivation = *ra;
        l.returnSequences = seq->at("return_sequences").get<bool>();
        l.returnState = seq->at("return_state").get<bool>();
        l.goBackwards = seq->at("go_backwards").get<bool>();
        l.resetAfter = seq->at("reset_after").get<bool>();
        l.zeroOutputForMask = seq->at("zero_output_for_mask").get<bool>();
        l.inputDim = json_integers::get<std::int64_t>(seq->at("input_dim"));
        l.maskZero = seq->at("mask_zero").get<bool>();
        l.reverseOutputSteps = seq->value("reverse_output_steps", false);
    }
    return l;
}

// The block-circulant weights stored as dataset `name` with k / rows / cols attributes.
void writeCirculant(const h5::File& f, hid_t group, const char* name, const CirculantWeights& c)
{
    h5::writeFloatDataset(f, group, name, c.vectors);
    h5::Handle ds = h5::openDataset(f, group, name);
    h5::writeIntAttr(f, ds.id(), "k", c.k);
    h5::writeIntAttr(f, ds.id(), "rows", c.rows);
    h5::writeIntAttr(f, ds.id(), "cols", c.cols);
}

// k, rows and cols of a circulant weight dataset (the vectors themselves are read by the caller).
CirculantWeights readCirculantAttributes(const h5::File& f, hid_t group, const char* name, const std::string& where)
{
    CirculantWeights c;
    h5::Handle ds = h5::openDataset(f, group, name);
    const std::string at = where + "/" + name;
    c.k = h5::readIntAttr(f, ds.id(), "k", at).value_or(0);
    c.rows = h5::readIntAttr(f, ds.id(), "rows", at).value_or(0);
    c.cols = h5::readIntAttr(f, ds.id(), "cols", at).value_or(0);
    return c;
}

json provenanceToJson(const Provenance& p)
{
    json j;
    j["source_file"] = p.sourceFile;
    j["source_format"] = p.sourceFormat;
    j["keras_version"] = p.kerasVersion;
    j["created_by"] = p.createdBy;
    j["created_at"] = p.createdAt;
    j["notes"] = p.notes;
    j["history"] = json::array();
    for (const auto& e : p.history)
        j["history"].push_back({{"epoch", e.epoch},
                                {"train_loss", e.trainLoss},
                                {"train_accuracy", e.trainAccuracy},
                                {"val_loss", e.valLoss},
                                {"val_accuracy", e.valAccuracy},
                                {"seconds", e.seconds}});
    return j;
}

Provenance provenanceFromJson(const json& j)
{
    Provenance p;
    p.sourceFile = j.value("source_file", "");
    p.sourceFormat = j.value("source_format", "");
    p.kerasVersion = j.value("keras_version", "");
    p.createdBy = j.value("created_by", "");
    p.createdAt = j.value("created_at", "");
    p.notes = j.value("notes", "");
    if (j.contains("history"))
        for (const auto& e : j.at("history")) {
            // NaN (the accuracies of an MSE-trained model's epochs) is written as null.
            const auto number = [&e](const char* key) {
                return e.contains(key) && e.at(key).is_null() ? NAN : e.value(key, 0.0);
            };
            EpochRecord r;
            r.epoch = json_integers::value(e, "epoch", 0);
            r.trainLoss = number("train_loss");
            r.trainAccuracy = number("train_accuracy");
            r.valLoss = number("val_loss");
            r.valAccuracy = number("val_accuracy");
            r.seconds = e.value("seconds", 0.0);
            p.history.push_back(r);
        }
    return p;
}

std::string utcNow()
{
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// Two roles may share a LayerSpec member (Normalization's mean / variance live in movingMean /
// movingVariance): the file stores each member once, under its first role's name.
bool firstRoleOfMember(const WeightRoleInfo& role)
{
    for (const WeightRoleInfo& r : weightRoleTable()) {
        if (r.member == role.member)
            return &r == &role;
    }
    return true;
}

json parse(const std::string& text, const std::string& file, const char* what)
{
    try {
        return json::parse(text);
    } catch (const json::exception& e) {
        throw FormatError(file + ": attribute '" + what + "' is not valid JSON (" + e.what() + ")");
    }
}

} // namespace

bool isNative(const std::string& path)
{
    try {
        h5::File f = h5::openFile(path);
        return h5::attributeExists(f.id(), "circnn_format");
    } catch (const Error&) {
        return false;
    }
}

void write(const ModelSpec& model, const std::string& path)
{
    ModelSpec checked = model;
    try {
        inferShapes(checked);
    } catch (const ShapeError& e) {
        throw Error(path + ": cannot write an inconsistent model: " + e.what());
    }
    json arch;
    arch["name"] = model.name;
    arch["inputs"] = model.inputs;
    arch["outputs"] = model.outputs;
    arch["layers"] = json::array();
    for (const auto& l : model.layers)
        arch["layers"].push_back(layerToJson(l));
    json plan = json::object();
    for (const auto& [name, k] : model.plan.perLayer)
        plan[name] = k;
    Provenance prov = model.provenance;
    if (prov.createdAt.empty())
        prov.createdAt = utcNow();
    if (prov.createdBy.empty())
        prov.createdBy =
            "CirCNN Studio (native format " + std::to_string(kFormatMajor) + "." + std::to_string(kFormatMinor) + ")";

    {
        // Built in memory, then written by writeBytesAtomically: the HDF5 library never holds a
        // handle on the destination's disk, so a full disk cannot leave a file open in it.
        h5::File f = h5::createInMemory(path);
        h5::writeString(f, f.id(), "circnn_format", kFormatTag);
        h5::writeIntAttr(f, f.id(), "format_version_major", kFormatMajor);
        h5::writeIntAttr(f, f.id(), "format_version_minor", kFormatMinor);
        h5::writeString(f, f.id(), "architecture", arch.dump());
        h5::writeString(f, f.id(), "plan", plan.dump());
        h5::writeString(f, f.id(), "provenance", provenanceToJson(prov).dump());
        h5::Handle layers = h5::createGroup(f, f.id(), "layers");
        for (std::size_t i = 0; i < model.layers.size(); ++i) {
            const LayerSpec& l = model.layers[i];
            const std::string g = std::to_string(i);
            h5::Handle group = h5::createGroup(f, layers.id(), g);
            h5::writeString(f, group.id(), "name", l.name);
            for (const WeightRoleInfo& role : weightRoleTable())
                if (firstRoleOfMember(role) && !(l.*role.member).empty())
                    h5::writeFloatDataset(f, group.id(), role.name, l.*role.member);
            if (l.circulant)
                writeCirculant(f, group.id(), "vectors", *l.circulant);
            if (l.recurrentCirculant)
                writeCirculant(f, group.id(), "recurrent_vectors", *l.recurrentCirculant);
            for (std::size_t p = 0; p < l.attentionCirculant.size(); ++p)
                if (l.attentionCirculant[p])
                    writeCirculant(f, group.id(), attentionVectorsKey(p), *l.attentionCirculant[p]);
        }
        h5::commitImage(f, path);
    }
}

namespace {

// The raw descriptor of a file read with deferral (for h5::contiguousFloat32Offset's check).
class RawFile {
public:
    explicit RawFile(const std::string& path, bool open)
        : m_fd(open ? ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK) : -1)
    {
    }
    ~RawFile()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    RawFile(const RawFile&) = delete;
    RawFile& operator=(const RawFile&) = delete;
    int fd() const { return m_fd; }

private:
    int m_fd;
};

} // namespace

ModelSpec read(const std::string& path, std::vector<DeferredTensor>* deferred, bool architectureOnly)
{
    h5::File f = h5::openFile(path);
    const RawFile raw(path, deferred != nullptr);
    ModelSpec m;
    m.weightsLoaded = !architectureOnly;
    // Reads `name` of `group` into `into`, or lists it in `deferred` (see the header), or records
    // only its shape (architecture only: the dataset's extent, no values).
    const auto load = [&](std::size_t layer, hid_t group, const char* name, Tensor& into) {
        if (architectureOnly) {
            h5::Handle ds = h5::openDataset(f, group, name);
            m.layers[layer].weightShapes[name] = h5::datasetShape(f, ds.id(), name);
            return;
        }
        Shape shape;
        if (deferred && raw.fd() >= 0)
            if (const auto offset = h5::contiguousFloat32Offset(f, group, name, raw.fd(), shape);
                offset && shapeSize(shape) >= kDeferMinValues) {
                deferred->push_back({layer, name, shape, *offset});
                return;
            }
        into = h5::readFloatDataset(f, group, name);
    };
    const auto tag = h5::readString(f, f.id(), "circnn_format", "/");
    if (!tag || *tag != kFormatTag)
        throw FormatError(path + ": not a CirCNN native model (circnn_format attribute missing)");
    const auto major = h5::readIntAttr(f, f.id(), "format_version_major", "/");
    const auto minor = h5::readIntAttr(f, f.id(), "format_version_minor", "/");
    if (!major || !minor)
        throw FormatError(path + ": native model without a format version");
    if (*major > kFormatMajor)
        throw FormatError(path + ": native format version " + std::to_string(*major) + "." + std::to_string(*minor) +
                          " is newer than this tool supports (" + std::to_string(kFormatMajor) + "." +
                          std::to_string(kFormatMinor) + "); update CirCNN Studio");
    if (*major < 1)
        throw FormatError(path + ": invalid native format version " + std::to_string(*major));
    const auto archText = h5::readString(f, f.id(), "architecture", "/");
    if (!archText)
        throw FormatError(path + ": native model without an architecture attribute");
    const json arch = parse(*archText, path, "architecture");
    try {
        m.name = arch.at("name").get<std::string>();
        m.inputs = arch.at("inputs").get<std::vector<std::string>>();
        m.outputs = arch.at("outputs").get<std::vector<std::string>>();
        for (const auto& lj : arch.at("layers"))
            m.layers.push_back(layerFromJson(lj, path));
        if (auto planText = h5::readString(f, f.id(), "plan", "/")) {
            const json plan = parse(*planText, path, "plan");
            for (auto it = plan.begin(); it != plan.end(); ++it)
                m.plan.perLayer[it.key()] = json_integers::get<std::int64_t>(it.value());
        }
        if (auto provText = h5::readString(f, f.id(), "provenance", "/"))
            m.provenance = provenanceFromJson(parse(*provText, path, "provenance"));
        for (std::size_t i = 0; i < m.layers.size(); ++i) {
            LayerSpec& l = m.layers[i];
            const std::string g = "layers/" + std::to_string(i);
            if (!h5::linkExists(f.id(), g))
                throw FormatError(path + ": layer '" + l.name + "': group /" + g + " is missing");
            h5::Handle group = h5::openGroup(f, f.id(), g);
            const auto stored = h5::readString(f, group.id(), "name", "/" + g);
            if (!stored || *stored != l.name)
                throw FormatError(path + ": group /" + g + " does not belong to layer '" + l.name + "'");
            for (const WeightRoleInfo& role : weightRoleTable())
                if (firstRoleOfMember(role) && h5::linkExists(group.id(), role.name))
                    load(i, group.id(), role.name, l.*role.member);
            // Files before format 1.1 have no center / scale: they follow from the stored weights.
            if (l.kind == LayerKind::BatchNormalization && !arch.at("layers").at(i).contains("center")) {
                l.center = !l.beta.empty() || l.weightShapes.count("beta");
                l.scale = !l.gamma.empty() || l.weightShapes.count("gamma");
            }
            const bool circulant = arch.at("layers").at(i).at("representation").get<std::string>() == "circulant";
            if (circulant) {
                // Attributes read here; the vectors may be deferred (left in the file) like any weight.
                CirculantWeights c = readCirculantAttributes(f, group.id(), "vectors", "/" + g);
                load(i, group.id(), "vectors", c.vectors);
                l.circulant = std::move(c);
            }
            const json& lj = arch.at("layers").at(i);
            if (lj.contains("sequence") && lj.at("sequence").at("recurrent_representation") == "circulant") {
                CirculantWeights c = readCirculantAttributes(f, group.id(), "recurrent_vectors", "/" + g);
                load(i, group.id(), "recurrent_vectors", c.vectors);
                l.recurrentCirculant = std::move(c);
            }
            if (l.kind == LayerKind::MultiHeadAttention) // block-circulant projections: their datasets say
                for (std::size_t p = 0; p < l.attentionCirculant.size(); ++p)
                    if (h5::linkExists(group.id(), attentionVectorsKey(p))) {
                        CirculantWeights c = readCirculantAttributes(f, group.id(), attentionVectorsKey(p), "/" + g);
                        load(i, group.id(), attentionVectorsKey(p), c.vectors);
                        l.attentionCirculant[p] = std::move(c);
                    }
            std::vector<const Tensor*> all{l.circulant ? &l.circulant->vectors : nullptr,
                                           l.recurrentCirculant ? &l.recurrentCirculant->vectors : nullptr};
            for (const auto& c : l.attentionCirculant)
                if (c)
                    all.push_back(&c->vectors);
            for (const WeightRoleInfo& role : weightRoleTable())
                all.push_back(&(l.*role.member));
            for (const Tensor* t : all)
                if (t)
                    for (std::int64_t e = 0; e < t->size(); ++e)
                        if (!std::isfinite((*t)[e]))
                            throw FormatError(path + ": layer '" + l.name + "' (" + l.className +
                                              "): weights contain NaN or infinite values");
        }
    } catch (const json::exception& e) {
        throw FormatError(path + ": native architecture is malformed (" + e.what() + ")");
    }
    if (m.provenance.sourceFile.empty())
        m.provenance.sourceFile = path;
    if (m.provenance.sourceFormat.empty())
        m.provenance.sourceFormat = "circnn";
    return m;
}

json describeModel(const ModelSpec& model)
{
    json d;
    d["name"] = model.name;
    d["inputs"] = model.inputs;
    d["outputs"] = model.outputs;
    d["layers"] = json::array();
    d["circulant"] = json::array();
    for (std::size_t i = 0; i < model.layers.size(); ++i) {
        const LayerSpec& l = model.layers[i];
        d["layers"].push_back(layerToJson(l));
        if (l.circulant)
            d["circulant"].push_back(
                {{"layer", i}, {"k", l.circulant->k}, {"rows", l.circulant->rows}, {"cols", l.circulant->cols}});
        if (l.recurrentCirculant)
            d["circulant"].push_back({{"layer", i},
                                      {"k", l.recurrentCirculant->k},
                                      {"rows", l.recurrentCirculant->rows},
                                      {"cols", l.recurrentCirculant->cols},
                                      {"recurrent", true}});
        for (std::size_t p = 0; p < l.attentionCirculant.size(); ++p)
            if (const auto& c = l.attentionCirculant[p])
                d["circulant"].push_back(
                    {{"layer", i}, {"k", c->k}, {"rows", c->rows}, {"cols", c->cols}, {"attention", p}});
    }
    json plan = json::object();
    for (const auto& [name, k] : model.plan.perLayer)
        plan[name] = k;
    d["plan"] = plan;
    d["provenance"] = provenanceToJson(model.provenance);
    return d;
}

ModelSpec modelFromDescription(const json& d, const std::string& file)
{
    ModelSpec m;
    try {
        m.name = d.at("name").get<std::string>();
        m.inputs = d.at("inputs").get<std::vector<std::string>>();
        m.outputs = d.at("outputs").get<std::vector<std::string>>();
        for (const auto& lj : d.at("layers"))
            m.layers.push_back(layerFromJson(lj, file));
        for (const auto& c : d.at("circulant")) {
            const auto i = json_integers::get<std::size_t>(c.at("layer"));
            if (i >= m.layers.size())
                throw FormatError(file + ": circulant entry for layer " + std::to_string(i) + " of " +
                                  std::to_string(m.layers.size()));
            CirculantWeights w;
            w.k = json_integers::get<std::int64_t>(c.at("k"));
            w.rows = json_integers::get<std::int64_t>(c.at("rows"));
            w.cols = json_integers::get<std::int64_t>(c.at("cols"));
            if (c.contains("attention")) {
                const auto p = json_integers::get<std::size_t>(c.at("attention"));
                if (p >= 4)
                    throw FormatError(file + ": circulant entry for attention projection " + std::to_string(p));
                m.layers[i].attentionCirculant[p] = std::move(w);
            } else if (c.value("recurrent", false))
                m.layers[i].recurrentCirculant = std::move(w);
            else
                m.layers[i].circulant = std::move(w);
        }
        for (const auto& [name, k] : d.at("plan").items())
            m.plan.perLayer[name] = json_integers::get<std::int64_t>(k);
        m.provenance = provenanceFromJson(d.at("provenance"));
    } catch (const json::exception& e) {
        throw FormatError(file + ": model description is malformed (" + e.what() + ")");
    }
    return m;
}

} // namespace circnn::native
