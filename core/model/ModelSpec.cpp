#include "model/ModelSpec.h"

#include <array>
#include <utility>

#include "common/Error.h"

namespace circnn {

namespace {
constexpr std::array<std::pair<ActivationKind, const char*>, 13> kActivationNames{{
    {ActivationKind::Linear, "linear"},
    {ActivationKind::Relu, "relu"},
    {ActivationKind::Relu6, "relu6"},
    {ActivationKind::LeakyRelu, "leaky_relu"},
    {ActivationKind::Sigmoid, "sigmoid"},
    {ActivationKind::HardSigmoid, "hard_sigmoid"},
    {ActivationKind::Tanh, "tanh"},
    {ActivationKind::Softmax, "softmax"},
    {ActivationKind::Elu, "elu"},
    {ActivationKind::Selu, "selu"},
    {ActivationKind::Swish, "swish"},
    {ActivationKind::Gelu, "gelu"},
    {ActivationKind::HardSigmoidKeras2, "hard_sigmoid_keras2"}, // native files only
}};
} // namespace

const char* activationName(ActivationKind kind)
{
    for (const auto& [k, name] : kActivationNames)
        if (k == kind)
            return name;
    return "?";
}

std::optional<ActivationKind> activationFromName(const std::string& n)
{
    for (const auto& [k, name] : kActivationNames)
        if (n == name)
            return k;
    if (n == "silu")
        return ActivationKind::Swish;
    if (n.empty() || n == "None")
        return ActivationKind::Linear;
    return std::nullopt;
}

std::string supportedActivations()
{
    std::string s;
    for (const auto& [k, name] : kActivationNames)
        if (k != ActivationKind::HardSigmoidKeras2)
            s += (s.empty() ? "" : ", ") + std::string(name);
    return s + ", silu";
}

const LayerSpec* ModelSpec::find(const std::string& layerName) const
{
    for (const auto& l : layers)
        if (l.name == layerName)
            return &l;
    return nullptr;
}

LayerSpec* ModelSpec::find(const std::string& layerName)
{
    for (auto& l : layers)
        if (l.name == layerName)
            return &l;
    return nullptr;
}

std::size_t ModelSpec::indexOf(const std::string& layerName) const
{
    for (std::size_t i = 0; i < layers.size(); ++i)
        if (layers[i].name == layerName)
            return i;
    throw Error("model '" + name + "' has no layer named '" + layerName + "'");
}

} // namespace circnn
