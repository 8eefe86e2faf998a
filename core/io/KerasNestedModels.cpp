#include "io/KerasNestedModels.h"

#include <nlohmann/json.hpp>

#include "common/Error.h"
#include "io/KerasConfig.h"
#include "io/KerasConfigValues.h"

namespace circnn::keras {

using nlohmann::json;

namespace {

std::vector<std::string> splitPath(const std::string& s)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = s.find('/', start);
        parts.push_back(s.substr(start, slash - start));
        if (slash == std::string::npos)
            return parts;
        start = slash + 1;
    }
}

// Number of trailing components `a` and `b` share when one is a suffix of the other; 0 otherwise.
std::size_t suffixMatch(const std::vector<std::string>& a, const std::vector<std::string>& b)
{
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i)
        if (a[a.size() - 1 - i] != b[b.size() - 1 - i])
            return 0;
    return n;
}

} // namespace

bool isNestedModelClass(const std::string& className)
{
    return className == "Sequential" || className == "Functional" || className == "Model";
}

std::string flattenNestedModel(const std::string& file, const json& entry, const std::string& prefix,
                               const std::vector<std::string>& inputs, std::vector<LayerSpec>& out,
                               std::string* keptInput)
{
    const std::string where = file + ": nested model '" + prefix + "': ";
    if (inputs.size() > 1)
        throw FormatError(where + "called with " + std::to_string(inputs.size()) + " inputs (exactly one)");
    const json* config = member(entry, "config");
    if (!config)
        throw FormatError(where + "the entry has no 'config'");
    const json inner = {{"class_name", stringOr(entry, "class_name")}, {"config", *config}};
    ModelSpec sub;
    try {
        sub = parseModelConfig(inner, file);
    } catch (const FormatError& e) {
        const std::string msg = e.what(), head = file + ": ";
        throw FormatError(where + (msg.rfind(head, 0) == 0 ? msg.substr(head.size()) : msg));
    }
    const std::string& subInput = sub.inputs.at(0);
    auto rename = [&](const std::string& name) {
        return name == subInput && !inputs.empty() ? inputs[0] : prefix + "/" + name;
    };
    for (LayerSpec& l : sub.layers) {
        if (l.name == subInput) {
            if (!inputs.empty())
                continue; // replaced by the layer feeding the nested model
            if (keptInput)
                *keptInput = prefix + "/" + l.name;
        }
        l.name = prefix + "/" + l.name;
        for (std::string& in : l.inputs)
            in = rename(in);
        out.push_back(std::move(l));
    }
    return rename(sub.outputs.at(0));
}

namespace {

// The layer under "<outer>/" whose name shares the longest suffix with `path`; nullptr when none
// or ambiguous.
LayerSpec* longestSuffixOwner(ModelSpec& model, const std::string& outer, const std::vector<std::string>& path)
{
    if (path.empty())
        return nullptr;
    const std::string head = outer + "/";
    LayerSpec* best = nullptr;
    std::size_t bestLen = 0;
    bool tie = false;
    for (LayerSpec& l : model.layers) {
        if (l.name.rfind(head, 0) != 0)
            continue;
        const std::size_t len = suffixMatch(splitPath(l.name.substr(head.size())), path);
        if (len > bestLen) {
            best = &l;
            bestLen = len;
            tie = false;
        } else if (len > 0 && len == bestLen) {
            tie = true;
        }
    }
    return tie ? nullptr : best;
}

} // namespace

LayerSpec* nestedWeightOwner(ModelSpec& model, const std::string& outer, const std::string& weightName)
{
    std::vector<std::string> path = splitPath(weightName);
    path.pop_back(); // the variable
    if (LayerSpec* owner = longestSuffixOwner(model, outer, path))
        return owner;
    // A recurrent layer keeps its variables in its cell (".../forward_lstm/lstm_cell/kernel:0",
    // the directions of a Bidirectional).
    const std::string cell = "cell";
    if (path.size() > 1 && path.back().size() >= cell.size() &&
        path.back().compare(path.back().size() - cell.size(), cell.size(), cell) == 0) {
        path.pop_back();
        return longestSuffixOwner(model, outer, path);
    }
    return nullptr;
}

} // namespace circnn::keras
