// `circnn inspect MODEL`: layer table (output shape, parameters, MACs, representation), totals
// and per-tensor weight statistics of any model file readModel() reads.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <limits>
#include <ostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "ArgParser.h"
#include "CommandRegistry.h"
#include "io/ModelFile.h"
#include "model/ShapeInference.h"

namespace circnn::cli {

namespace {

using nlohmann::json;

struct TensorStats {
    std::string layer, role;
    Shape shape;
    double min = 0, max = 0, mean = 0, std = 0, sparsity = 0;  // sparsity: fraction of exact zeros
};

TensorStats statsOf(const std::string& layer, const std::string& role, const Tensor& t)
{
    TensorStats s{layer, role, t.shape()};
    if (t.empty())
        return s;
    double sum = 0, sumSq = 0;
    std::int64_t zeros = 0;
    s.min = std::numeric_limits<double>::infinity();
    s.max = -s.min;
    for (std::int64_t i = 0; i < t.size(); ++i) {
        const double v = t[i];
        s.min = std::min(s.min, v);
        s.max = std::max(s.max, v);
        sum += v;
        sumSq += v * v;
        zeros += v == 0.0;
    }
    const double n = static_cast<double>(t.size());
    s.mean = sum / n;
    s.std = std::sqrt(std::max(0.0, sumSq / n - s.mean * s.mean));
    s.sparsity = static_cast<double>(zeros) / n;
    return s;
}

std::string representation(const LayerSpec& l)
{
    if (l.circulant) {
        const Shape& v = l.circulant->vectors.shape();
        const std::int64_t p = v.size() >= 3 ? v[v.size() - 3] : 0, q = v.size() >= 2 ? v[v.size() - 2] : 0;
        return "circulant k=" + std::to_string(l.circulant->k) + " (" + std::to_string(p) + "x" + std::to_string(q) + ")";
    }
    if (l.kind == LayerKind::Dense || l.kind == LayerKind::Conv2D)
        return "dense";
    return "-";
}

const char* formatName(ModelFormat f)
{
    switch (f) {
    case ModelFormat::KerasH5: return "keras-h5";
    case ModelFormat::KerasZip: return "keras-zip";
    case ModelFormat::Native: return "circnn";
    }
    return "?";
}

std::string className(const LayerSpec& l) { return l.className.empty() ? layerKindName(l.kind) : l.className; }

int runInspect(const std::vector<std::string>& args, std::ostream& out, std::ostream&)
{
    ArgParser p("circnn inspect", "Show a model's layers, parameter and MAC counts, representation and weight statistics.");
    p.positional("MODEL", "Model file (.h5, .keras, .circnn.h5).");
    p.flag("json", "Print one JSON object instead of tables.");
    if (!p.parse(args, out))
        return 0;
    const std::string path = p.get("MODEL");
    const ModelFormat format = detectModelFormat(path);
    const ModelSpec m = readModel(path);

    std::int64_t params = 0, denseParams = 0, macs = 0;
    std::vector<LayerStats> stats;
    std::vector<TensorStats> weights;
    for (const auto& l : m.layers) {
        stats.push_back(layerStats(m, l));
        params += stats.back().parameters;
        denseParams += stats.back().denseParameters;
        macs += stats.back().macs;
        const std::pair<const char*, const Tensor*> tensors[] = {
            {"kernel", &l.kernel},           {"bias", &l.bias},
            {"gamma", &l.gamma},             {"beta", &l.beta},
            {"moving_mean", &l.movingMean}, {"moving_variance", &l.movingVariance}};
        for (const auto& [role, t] : tensors)
            if (!t->empty())
                weights.push_back(statsOf(l.name, role, *t));
        if (l.circulant)
            weights.push_back(statsOf(l.name, "vectors", l.circulant->vectors));
    }
    const double compression = params > 0 ? static_cast<double>(denseParams) / static_cast<double>(params) : 1.0;

    if (p.given("json")) {
        json j;
        j["file"] = path;
        j["format"] = formatName(format);
        j["name"] = m.name;
        j["input_shape"] = m.find(m.inputs.at(0))->outputShape;
        j["output_shape"] = m.find(m.outputs.at(0))->outputShape;
        j["provenance"] = {{"source_file", m.provenance.sourceFile},
                           {"source_format", m.provenance.sourceFormat},
                           {"keras_version", m.provenance.kerasVersion},
                           {"created_by", m.provenance.createdBy},
                           {"created_at", m.provenance.createdAt},
                           {"epochs", m.provenance.history.size()},
                           {"notes", m.provenance.notes}};
        j["plan"] = json::object();
        for (const auto& [name, k] : m.plan.blockSize)
            j["plan"][name] = k;
        j["layers"] = json::array();
        for (std::size_t i = 0; i < m.layers.size(); ++i) {
            const LayerSpec& l = m.layers[i];
            json lj = {{"name", l.name},
                       {"class", className(l)},
                       {"kind", layerKindName(l.kind)},
                       {"inputs", l.inputs},
                       {"output_shape", l.outputShape},
                       {"parameters", stats[i].parameters},
                       {"dense_parameters", stats[i].denseParameters},
                       {"macs", stats[i].macs},
                       {"activation", activationName(l.activation)},
                       {"representation", l.circulant ? "circulant" : (representation(l) == "dense" ? "dense" : "none")}};
            if (l.circulant)
                lj["k"] = l.circulant->k;
            j["layers"].push_back(lj);
        }
        j["totals"] = {{"parameters", params},
                       {"dense_parameters", denseParams},
                       {"macs", macs},
                       {"compression", compression}};
        j["weights"] = json::array();
        for (const auto& w : weights)
            j["weights"].push_back({{"layer", w.layer},
                                    {"role", w.role},
                                    {"shape", w.shape},
                                    {"min", w.min},
                                    {"max", w.max},
                                    {"mean", w.mean},
                                    {"std", w.std},
                                    {"sparsity", w.sparsity}});
        out << j.dump(1) << "\n";
        return 0;
    }

    out << path << "  (" << formatName(format) << ")\n";
    out << "model '" << m.name << "'";
    if (!m.provenance.kerasVersion.empty())
        out << ", Keras " << m.provenance.kerasVersion;
    if (format == ModelFormat::Native && !m.provenance.sourceFile.empty())
        out << ", from " << m.provenance.sourceFile;
    if (!m.provenance.createdAt.empty())
        out << ", created " << m.provenance.createdAt;
    out << "\n";
    if (!m.provenance.createdBy.empty())
        out << "made by " << m.provenance.createdBy << "\n";
    if (!m.provenance.notes.empty())
        out << "notes: " << m.provenance.notes << "\n";
    if (!m.provenance.history.empty()) {
        const auto best = std::max_element(m.provenance.history.begin(), m.provenance.history.end(),
                                           [](const EpochRecord& a, const EpochRecord& b) {
                                               return a.valAccuracy < b.valAccuracy;
                                           });
        out << "trained " << m.provenance.history.size() << (m.provenance.history.size() == 1 ? " epoch" : " epochs")
            << "; best validation accuracy " << std::fixed
            << std::setprecision(2) << 100.0 * best->valAccuracy << "% (epoch " << best->epoch << ")\n";
        out.unsetf(std::ios::floatfield);
    }
    out << "\n";
    std::size_t nameWidth = 5, classWidth = 5;
    for (const auto& l : m.layers) {
        nameWidth = std::max(nameWidth, std::min<std::size_t>(l.name.size(), 40));
        classWidth = std::max(classWidth, className(l).size());
    }
    out << std::left << std::setw(static_cast<int>(nameWidth) + 2) << "layer" << std::setw(static_cast<int>(classWidth) + 2)
        << "class" << std::setw(16) << "output" << std::right << std::setw(12) << "params" << std::setw(14) << "MACs"
        << "  representation\n";
    for (std::size_t i = 0; i < m.layers.size(); ++i) {
        const LayerSpec& l = m.layers[i];
        std::string name = l.name.size() > 40 ? l.name.substr(0, 37) + "..." : l.name;
        const std::string cls = className(l);
        out << std::left << std::setw(static_cast<int>(nameWidth) + 2) << name << std::setw(static_cast<int>(classWidth) + 2)
            << cls << std::setw(16) << shapeToString(l.outputShape) << std::right << std::setw(12) << stats[i].parameters
            << std::setw(14) << stats[i].macs << "  " << representation(l);
        if (l.activation != ActivationKind::Linear)
            out << (representation(l) == "-" ? " " : ", ") << activationName(l.activation);
        out << "\n";
    }
    out << "\ntotal: " << params << " parameters stored (" << denseParams << " dense-equivalent, compression "
        << std::fixed << std::setprecision(2) << compression << "x), " << macs << " MACs per sample\n";
    out.unsetf(std::ios::floatfield);
    if (!weights.empty()) {
        out << "\nweight statistics\n";
        out << std::left << std::setw(static_cast<int>(nameWidth) + 2) << "layer" << std::setw(17) << "tensor"
            << std::setw(20) << "shape" << std::right << std::setw(11) << "min" << std::setw(11) << "max"
            << std::setw(11) << "mean" << std::setw(11) << "std" << std::setw(10) << "sparsity\n";
        for (const auto& w : weights) {
            std::string name = w.layer.size() > 40 ? w.layer.substr(0, 37) + "..." : w.layer;
            out << std::left << std::setw(static_cast<int>(nameWidth) + 2) << name << std::setw(17) << w.role
                << std::setw(20) << shapeToString(w.shape) << std::right << std::setprecision(4) << std::setw(11)
                << w.min << std::setw(11) << w.max << std::setw(11) << w.mean << std::setw(11) << w.std
                << std::setw(9) << std::fixed << std::setprecision(3) << w.sparsity << "\n";
            out.unsetf(std::ios::floatfield);
        }
    }
    return 0;
}

const CommandRegistrar registrar({"inspect", "Show a model's layers, sizes, representation and weight statistics.",
                                  runInspect});

} // namespace

} // namespace circnn::cli
