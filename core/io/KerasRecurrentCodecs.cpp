// Codecs of the sequence layers: Embedding, SimpleRNN / LSTM / GRU and TimeDistributed(Dense).

#include "common/Error.h"
#include "io/KerasLayerCodecs.h"

namespace circnn::keras {

using nlohmann::json;

namespace {

// Parses an activation entry (string / object / null) into `out` without touching l.activation.
ActivationKind parseActivationInto(const ConfigContext& c, const LayerSpec& l, const json* v)
{
    LayerSpec probe;
    probe.name = l.name;
    setActivation(c, probe, v);
    if (probe.activation == ActivationKind::Softmax || probe.activation == ActivationKind::LeakyRelu)
        c.fail("activation '" + std::string(activationName(probe.activation)) +
               "' is not supported inside a recurrent layer");
    return probe.activation;
}

} // namespace

void readEmbedding(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    l.inputDim = getInt(c, cfg, "input_dim");
    l.units = getInt(c, cfg, "output_dim");
    l.maskZero = getBool(c, cfg, "mask_zero", false);
    l.useBias = false;
}

std::pair<std::string, json> writeEmbedding(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["input_dim"] = l.inputDim;
    c["output_dim"] = l.units;
    c["mask_zero"] = l.maskZero;
    return {"Embedding", c};
}

void readRecurrent(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    l.units = getInt(c, cfg, "units");
    const json tanh = "tanh";
    const json* act = member(cfg, "activation");
    l.activation = parseActivationInto(c, l, act ? act : (cfg.contains("activation") ? nullptr : &tanh));
    l.activationAlpha.reset();
    if (l.kind != LayerKind::SimpleRNN) {
        // Absent key: sigmoid (Keras >= 2.3 and 3); files of early Keras 2 always name hard_sigmoid.
        const json sigmoid = "sigmoid";
        const json* rec = member(cfg, "recurrent_activation");
        l.recurrentActivation =
            parseActivationInto(c, l, rec ? rec : (cfg.contains("recurrent_activation") ? nullptr : &sigmoid));
    }
    l.useBias = getBool(c, cfg, "use_bias", true);
    l.returnSequences = getBool(c, cfg, "return_sequences", false);
    l.returnState = getBool(c, cfg, "return_state", false);
    l.goBackwards = getBool(c, cfg, "go_backwards", false);
    l.zeroOutputForMask = getBool(c, cfg, "zero_output_for_mask", false);
    if (getBool(c, cfg, "stateful", false))
        c.fail("stateful recurrent layers are not supported (the state would carry across batches)");
    if (getBool(c, cfg, "time_major", false))
        c.fail("time_major inputs are not supported (batch-major only)");
    if (l.kind == LayerKind::GRU)
        l.resetAfter = getBool(c, cfg, "reset_after", true);
}

std::pair<std::string, json> writeRecurrent(const LayerSpec& l)
{
    if (l.reverseOutputSteps && l.returnSequences)
        throw Error("layer '" + l.name +
                    "': the backward half of a Bidirectional (its sequence reversed back) has no Keras form of "
                    "its own; save the model in the native format (.circnn)");
    json c = baseConfig(l);
    c["units"] = l.units;
    c["activation"] = keras2ActivationName(l);
    if (l.kind != LayerKind::SimpleRNN) {
        LayerSpec gate = l;
        gate.activation = l.recurrentActivation;
        c["recurrent_activation"] = keras2ActivationName(gate);
    }
    c["use_bias"] = l.useBias;
    c["return_sequences"] = l.returnSequences;
    c["return_state"] = l.returnState;
    c["go_backwards"] = l.goBackwards;
    c["stateful"] = false;
    c["unroll"] = false;
    if (l.zeroOutputForMask)
        c["zero_output_for_mask"] = true;
    if (l.kind == LayerKind::GRU)
        c["reset_after"] = l.resetAfter;
    return {layerKindName(l.kind), c};
}

void readTimeDistributed(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    const json* inner = member(cfg, "layer");
    if (!inner || !inner->is_object())
        c.fail("TimeDistributed has no wrapped 'layer'");
    const std::string cls = stringOr(*inner, "class_name");
    const json* innerCfg = member(*inner, "config");
    if (cls != "Dense" || !innerCfg || !innerCfg->is_object())
        c.fail("TimeDistributed(" + (cls.empty() ? std::string("?") : cls) +
               ") is not supported (only TimeDistributed(Dense), which equals Dense over the last axis)");
    readDense(c, l, *innerCfg);
}

std::pair<std::string, json> writeTimeDistributed(const LayerSpec& l)
{
    return writeDense(l); // Dense over the last axis computes the same
}

void unwrapTimeDistributed(ModelSpec& m)
{
    for (LayerSpec& l : m.layers)
        if (l.kind == LayerKind::TimeDistributed)
            l.kind = LayerKind::Dense;
}

} // namespace circnn::keras
