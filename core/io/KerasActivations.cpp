// Activation names in Keras configs and the activation layer classes (Activation, ReLU,
// LeakyReLU, Softmax, ELU), read and written.

#include "common/Error.h"
#include "io/KerasLayerCodecs.h"

namespace circnn::keras {

using nlohmann::json;

namespace {

ActivationKind parseActivation(const ConfigContext& c, const json* v)
{
    if (!v)
        return ActivationKind::Linear;
    std::string name;
    if (v->is_string())
        name = v->get<std::string>();
    else if (v->is_object() && member(*v, "config") && (*v)["config"].is_string())
        name = (*v)["config"].get<std::string>(); // {"class_name": "function", "config": "relu"}
    else if (v->is_object() && member(*v, "class_name") && (*v)["class_name"].is_string())
        name = (*v)["class_name"].get<std::string>();
    else
        c.fail("activation " + v->dump() + " is not understood; supported: " + supportedActivations());
    auto kind = activationFromName(name);
    if (!kind)
        c.fail("unsupported activation '" + name + "'; supported: " + supportedActivations());
    return *kind;
}

} // namespace

void setActivation(const ConfigContext& c, LayerSpec& l, const json* v)
{
    l.activation = parseActivation(c, v);
    l.activationAlpha.reset();
    if (l.activation == ActivationKind::LeakyRelu)
        l.activationAlpha = 0.2f;
}

std::string keras2ActivationName(const LayerSpec& l)
{
    if (l.activation == ActivationKind::HardSigmoidKeras2)
        return "hard_sigmoid";
    if (l.activation == ActivationKind::HardSigmoid)
        throw Error("layer '" + l.name +
                    "': Keras 3's hard_sigmoid (relu6(x + 3) / 6) has no Keras 2 equivalent; "
                    "save in the native format instead");
    return activationName(l.activation);
}

void readActivationLayer(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    if (l.className == "Activation") {
        setActivation(c, l, member(cfg, "activation"));
    } else if (l.className == "ReLU") {
        const double slope = getDouble(c, cfg, "negative_slope", 0.0);
        const double threshold = getDouble(c, cfg, "threshold", 0.0);
        const json* maxValue = member(cfg, "max_value");
        if (threshold != 0.0)
            c.fail("ReLU threshold != 0 is not supported");
        if (maxValue) {
            if (!maxValue->is_number() || maxValue->get<double>() != 6.0 || slope != 0.0)
                c.fail("ReLU max_value " + maxValue->dump() + " is not supported (only 6, as relu6)");
            l.activation = ActivationKind::Relu6;
        } else if (slope != 0.0) {
            l.activation = ActivationKind::LeakyRelu;
            l.activationAlpha = static_cast<float>(slope);
        } else {
            l.activation = ActivationKind::Relu;
        }
    } else if (l.className == "LeakyReLU") {
        l.activation = ActivationKind::LeakyRelu;
        // Keras 2 writes alpha, Keras 3 negative_slope; both default to 0.3 for the layer.
        const double alpha =
            member(cfg, "negative_slope") ? getDouble(c, cfg, "negative_slope", 0.3) : getDouble(c, cfg, "alpha", 0.3);
        l.activationAlpha = static_cast<float>(alpha);
        if (alpha == 0.0) // LeakyReLU(0) is a plain ReLU
            l.activation = ActivationKind::Relu;
    } else if (l.className == "Softmax") {
        const json* axis = member(cfg, "axis");
        if (axis && !(axis->is_number() && toInt(c, *axis, "axis") == -1) &&
            !(axis->is_array() && axis->size() == 1 && toInt(c, (*axis)[0], "axis") == -1))
            c.fail("Softmax over axis " + axis->dump() + " is not supported (only the last axis)");
        l.activation = ActivationKind::Softmax;
    } else if (l.className == "ELU") {
        l.activation = ActivationKind::Elu;
        l.activationAlpha = static_cast<float>(getDouble(c, cfg, "alpha", 1.0));
        if (*l.activationAlpha == 0.0f) // ELU(0) is max(x, 0)
            l.activation = ActivationKind::Relu;
    }
}

std::pair<std::string, json> writeActivationLayer(const LayerSpec& l)
{
    json c = baseConfig(l);
    // A slope other than the default needs the layer classes that carry it.
    if (l.activation == ActivationKind::LeakyRelu && l.activationAlpha) {
        c["alpha"] = *l.activationAlpha;
        return {"LeakyReLU", c};
    }
    if (l.activation == ActivationKind::Elu && l.activationAlpha) {
        c["alpha"] = *l.activationAlpha;
        return {"ELU", c};
    }
    c["activation"] = keras2ActivationName(l);
    return {"Activation", c};
}

} // namespace circnn::keras
