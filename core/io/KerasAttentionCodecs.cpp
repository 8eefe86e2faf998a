// Codec of MultiHeadAttention: its config, and its graph node, which holds the value / key tensors
// and use_causal_mask as call arguments (Keras 2: [["query", 0, 0, {"value": ["v", 0, 0], ...}]];
// Keras 3: {"args": [query, value, key?], "kwargs": {"use_causal_mask": true, ...}}).

#include "common/Error.h"
#include "io/KerasLayerCodecs.h"

namespace circnn::keras {

using nlohmann::json;

namespace {

// The producing layer of an inbound tensor reference (Keras 2 ["name", node, tensor], Keras 3
// {"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}); "" when `v` is none.
std::string tensorSource(const ConfigContext& c, const json& v, const char* role)
{
    const json* history = &v;
    if (v.is_object()) {
        if (stringOr(v, "class_name") != "__keras_tensor__")
            c.fail(std::string(role) + " argument " + v.dump() + " is not a tensor");
        const json* cfg = member(v, "config");
        history = cfg ? member(*cfg, "keras_history") : nullptr;
    }
    if (!history || !history->is_array() || history->empty() || !(*history)[0].is_string())
        c.fail(std::string(role) + " argument " + v.dump() + " is not understood");
    if (history->size() >= 3 && (*history)[2].is_number() && toInt(c, (*history)[2], role) != 0)
        c.fail("layers with several outputs are not supported");
    return (*history)[0].get<std::string>();
}

} // namespace

void readMultiHeadAttention(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    l.numHeads = getInt(c, cfg, "num_heads");
    l.keyDim = getInt(c, cfg, "key_dim");
    const json* valueDim = member(cfg, "value_dim");
    l.valueDim = valueDim ? toInt(c, *valueDim, "value_dim") : l.keyDim;
    if (l.numHeads <= 0 || l.keyDim <= 0 || l.valueDim <= 0)
        c.fail("num_heads, key_dim and value_dim must be positive");
    l.useBias = getBool(c, cfg, "use_bias", true);
    l.units = 0;
    if (const json* out = member(cfg, "output_shape")) {
        if (out->is_number_integer())
            l.units = toInt(c, *out, "output_shape");
        else if (out->is_array() && out->size() == 1)
            l.units = toInt(c, (*out)[0], "output_shape");
        else
            c.fail("output_shape " + out->dump() + " is not supported (an integer: the output's last dimension)");
        if (l.units <= 0)
            c.fail("output_shape must be positive");
    }
    // attention_axes: the default (None, or the steps axis tf.keras writes for a built 3-D layer).
    if (const json* axes = member(cfg, "attention_axes")) {
        const json one = axes->is_array() && axes->size() == 1 ? (*axes)[0] : *axes;
        if (!one.is_number_integer() || (one.get<std::int64_t>() != 1 && one.get<std::int64_t>() != -2))
            c.fail("attention_axes " + axes->dump() +
                   " is not supported (only the default: attention over the steps of (batch, steps, features))");
    }
    l.rate = static_cast<float>(getDouble(c, cfg, "dropout", 0.0)); // inference ignores it
}

std::pair<std::string, json> writeMultiHeadAttention(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["num_heads"] = l.numHeads;
    c["key_dim"] = l.keyDim;
    c["value_dim"] = l.valueDim;
    c["dropout"] = l.rate;
    c["use_bias"] = l.useBias;
    c["output_shape"] = l.units > 0 ? json(l.units) : json(nullptr);
    c["attention_axes"] = json::array({1});
    return {"MultiHeadAttention", c};
}

std::vector<std::string> attentionInbound(const ConfigContext& c, const json& nodes, bool& useCausalMask)
{
    if (!nodes.is_array() || nodes.empty())
        c.fail("MultiHeadAttention has no inbound node");
    if (nodes.size() != 1)
        c.fail("the layer is called " + std::to_string(nodes.size()) + " times (shared layers are not supported)");
    const json& node = nodes[0];
    std::string query, value, key;
    const json* kwargs = nullptr;
    if (node.is_object()) { // Keras 3
        if (const json* args = member(node, "args"); args && args->is_array()) {
            const char* roles[] = {"query", "value", "key"};
            std::string* slots[] = {&query, &value, &key};
            for (std::size_t i = 0; i < args->size() && i < 3; ++i)
                if (!(*args)[i].is_null())
                    *slots[i] = tensorSource(c, (*args)[i], roles[i]);
            if (args->size() > 3)
                c.fail("positional call arguments after the key are not supported");
        }
        kwargs = member(node, "kwargs");
    } else if (node.is_array() && node.size() == 1 && node[0].is_array()) { // Keras 2
        query = tensorSource(c, node[0], "query");
        if (node[0].size() >= 4)
            kwargs = &node[0][3];
    } else {
        c.fail("inbound node " + node.dump() + " is not understood (expected one call with query and value)");
    }
    useCausalMask = false;
    if (kwargs && kwargs->is_object()) {
        if (const json* q = member(*kwargs, "query"))
            query = tensorSource(c, *q, "query");
        if (const json* v = member(*kwargs, "value"))
            value = tensorSource(c, *v, "value");
        if (const json* k = member(*kwargs, "key"))
            key = tensorSource(c, *k, "key");
        for (const char* unsupported : {"attention_mask", "query_mask", "value_mask", "key_mask"})
            if (member(*kwargs, unsupported))
                c.fail(std::string("an explicit ") + unsupported +
                       " is not supported (masks come from Embedding mask_zero and use_causal_mask)");
        if (getBool(c, *kwargs, "return_attention_scores", false))
            c.fail("return_attention_scores=True (two outputs) is not supported");
        useCausalMask = getBool(c, *kwargs, "use_causal_mask", false);
    }
    if (query.empty() || value.empty())
        c.fail("the call needs a query and a value tensor");
    if (key.empty() || key == value)
        return {query, value};
    return {query, value, key};
}

} // namespace circnn::keras
