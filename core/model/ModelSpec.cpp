#include "model/ModelSpec.h"

#include <array>
#include <utility>

#include "common/Error.h"

namespace circnn {

namespace {
constexpr std::array<std::pair<LayerKind, const char*>, 15> kKindNames{{
    {LayerKind::Input, "InputLayer"},
    {LayerKind::Dense, "Dense"},
    {LayerKind::Conv2D, "Conv2D"},
    {LayerKind::MaxPooling2D, "MaxPooling2D"},
    {LayerKind::AveragePooling2D, "AveragePooling2D"},
    {LayerKind::GlobalAveragePooling2D, "GlobalAveragePooling2D"},
    {LayerKind::GlobalMaxPooling2D, "GlobalMaxPooling2D"},
    {LayerKind::Flatten, "Flatten"},
    {LayerKind::Reshape, "Reshape"},
    {LayerKind::ZeroPadding2D, "ZeroPadding2D"},
    {LayerKind::Dropout, "Dropout"},
    {LayerKind::Activation, "Activation"},
    {LayerKind::BatchNormalization, "BatchNormalization"},
    {LayerKind::Add, "Add"},
    {LayerKind::Concatenate, "Concatenate"},
}};

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
    {ActivationKind::HardSigmoidKeras2, "hard_sigmoid_keras2"},  // native files only
}};
} // namespace

const char* layerKindName(LayerKind kind)
{
    for (const auto& [k, name] : kKindNames)
        if (k == kind)
            return name;
    return "?";
}

std::optional<LayerKind> layerKindFromName(const std::string& n)
{
    for (const auto& [k, name] : kKindNames)
        if (n == name)
            return k;
    // Aliases Keras uses for the same computation.
    if (n == "ReLU" || n == "LeakyReLU" || n == "Softmax" || n == "ELU")
        return LayerKind::Activation;
    if (n == "MaxPool2D")
        return LayerKind::MaxPooling2D;
    if (n == "AvgPool2D")
        return LayerKind::AveragePooling2D;
    if (n == "GlobalAvgPool2D")
        return LayerKind::GlobalAveragePooling2D;
    if (n == "GlobalMaxPool2D")
        return LayerKind::GlobalMaxPooling2D;
    if (n == "Convolution2D")
        return LayerKind::Conv2D;
    return std::nullopt;
}

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

std::string supportedLayerClasses()
{
    std::string s;
    for (const auto& [k, name] : kKindNames)
        s += (s.empty() ? "" : ", ") + std::string(name);
    return s + ", ReLU, LeakyReLU, Softmax, ELU";
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
