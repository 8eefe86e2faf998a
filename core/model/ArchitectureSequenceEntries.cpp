// The JSON entries of sequence models in architecture descriptions (model/ArchitectureParser.h
// documents the syntax): embedding, lstm / gru / simple_rnn, attention, layer_norm, residual and
// the transformer encoder block that expands to them.

#include <algorithm>
#include <initializer_list>

#include "common/Error.h"
#include "model/ArchitectureDesc.h"

namespace circnn::architecture {

namespace {

using nlohmann::json;

// Sizes beyond these are typing errors, not models (and would overflow the shape arithmetic):
// BERT-large has 16 heads of 64, GPT-3 96 heads of 128.
constexpr std::int64_t kMaxHeads = 1024;
constexpr std::int64_t kMaxHeadSize = 65536;
constexpr std::int64_t kMaxWidth = std::int64_t(1) << 24;

[[noreturn]] void fail(const std::string& where, const std::string& what)
{
    throw ShapeError("architecture JSON " + where + ": " + what);
}

// The options of an attention / transformer / layer_norm entry: the object the entry's key holds
// ({"attention": {"heads": 2, ...}}) or the entry itself ({"attention": 2, "key_dim": 8, ...}).
// Unknown option names are refused (a misspelt "causal" must not silently train another model).
const json& options(const json& e, const char* key, std::initializer_list<const char*> allowed,
                    const std::string& where)
{
    const json& o = e[key].is_object() ? e[key] : e;
    if (&o != &e) // the options are in the nested object: beside it only "k"
        for (const auto& item : e.items())
            if (item.key() != key && item.key() != "k")
                fail(where, "unknown option \"" + item.key() + "\" beside " + key + " (its options go inside " + key +
                                "'s object; only \"k\" may stand beside it)");
    for (const auto& item : o.items()) {
        const std::string& name = item.key();
        const bool known = name == key || name == "k" ||
                           std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return name == a; });
        if (!known) {
            std::string list;
            for (const char* a : allowed)
                list += std::string(list.empty() ? "" : ", ") + a;
            fail(where, "unknown option \"" + name + "\" of " + key + " (allowed: " + list + ", k)");
        }
    }
    return o;
}

float epsilonOption(const json& o, const std::string& where)
{
    if (!o.contains("epsilon"))
        return 1e-3f; // Keras' LayerNormalization default
    const json& v = o["epsilon"];
    if (!v.is_number() || !(v.get<double>() > 0) || v.get<double>() > 1)
        fail(where, "\"epsilon\" must be a number in (0, 1], found " + v.dump());
    return v.get<float>();
}

void blockSize(const json& e, const json& o, LayerDesc& l)
{
    const json& src = e.contains("k") ? e : o;
    if (src.contains("k"))
        l.k = jsonPositive(src["k"], l.where + " \"k\"");
}

// heads (the entry's own value or "heads"), key_dim (required), value_dim (default key_dim).
LayerDesc attentionDesc(const json& e, const json& o, const char* key, const std::string& where)
{
    LayerDesc l;
    l.kind = LayerKind::MultiHeadAttention;
    l.where = where;
    const json& heads = e[key].is_number() ? e[key] : o.contains("heads") ? o["heads"] : json();
    if (heads.is_null())
        fail(where, std::string("\"") + key + "\" needs \"heads\" (the number of attention heads)");
    l.heads = jsonBounded(heads, where + " \"heads\"", kMaxHeads);
    if (!o.contains("key_dim"))
        fail(where, std::string("\"") + key + "\" needs \"key_dim\" (the size of each head's query and key)");
    l.keyDim = jsonBounded(o["key_dim"], where + " \"key_dim\"", kMaxHeadSize);
    l.valueDim =
        o.contains("value_dim") ? jsonBounded(o["value_dim"], where + " \"value_dim\"", kMaxHeadSize) : l.keyDim;
    l.causal = jsonFlag(o, "causal", false, where);
    blockSize(e, o, l);
    return l;
}

void residualMark(std::vector<LayerDesc>& out, Residual mark, const std::string& where)
{
    LayerDesc l;
    l.kind = LayerKind::Add;
    l.residual = mark;
    l.where = where;
    out.push_back(l);
}

LayerDesc layerNormDesc(float epsilon, const std::string& where)
{
    LayerDesc l;
    l.kind = LayerKind::LayerNormalization;
    l.epsilon = epsilon;
    l.where = where;
    return l;
}

// {"transformer": {"heads": H, "key_dim": D, "ff": F, ...}}: Keras' Transformer encoder block
// (post-norm, as in "Attention is all you need" and the Keras text-classification example):
//   x → MultiHeadAttention(x, x) [→ Dropout] → Add(x) → LayerNormalization
//     → Dense(F, relu) → Dense(features) [→ Dropout] → Add → LayerNormalization.
void transformerBlock(const json& e, const std::string& where, std::vector<LayerDesc>& out)
{
    const json& o = options(
        e, "transformer", {"heads", "key_dim", "value_dim", "ff", "causal", "dropout", "epsilon", "activation"}, where);
    const LayerDesc attention = attentionDesc(e, o, "transformer", where + " (transformer attention)");
    if (!o.contains("ff"))
        fail(where, "\"transformer\" needs \"ff\" (the width of its feed-forward layer)");
    const std::int64_t ff = jsonBounded(o["ff"], where + " \"ff\"", kMaxWidth);
    float rate = 0;
    if (o.contains("dropout")) {
        if (!o["dropout"].is_number() || o["dropout"].get<double>() < 0 || o["dropout"].get<double>() >= 1)
            fail(where, "dropout rate must be in [0, 1), found " + o["dropout"].dump());
        rate = o["dropout"].get<float>();
    }
    ActivationKind act = ActivationKind::Relu;
    if (o.contains("activation")) {
        const auto a = activationFromName(o["activation"].is_string() ? o["activation"].get<std::string>() : "");
        if (!a)
            fail(where,
                 "unknown activation " + o["activation"].dump() + " (supported: " + supportedActivations() + ")");
        act = *a;
    }
    const float epsilon = epsilonOption(o, where);
    auto dropout = [&] {
        if (rate <= 0)
            return;
        LayerDesc d;
        d.kind = LayerKind::Dropout;
        d.rate = rate;
        d.where = where;
        out.push_back(d);
    };
    residualMark(out, Residual::Begin, where + " (transformer attention)");
    out.push_back(attention);
    dropout();
    residualMark(out, Residual::End, where);
    out.push_back(layerNormDesc(epsilon, where));
    residualMark(out, Residual::Begin, where + " (transformer feed-forward)");
    for (int i = 0; i < 2; ++i) {
        LayerDesc d;
        d.kind = LayerKind::Dense;
        d.units = i == 0 ? ff : 0; // 0: back to the block's features
        d.activation = i == 0 ? act : ActivationKind::Linear;
        d.k = attention.k;
        d.where = where + " (transformer feed-forward)";
        out.push_back(d);
    }
    dropout();
    residualMark(out, Residual::End, where);
    out.push_back(layerNormDesc(epsilon, where));
}

// {"embedding": dim, "vocab": V, "mask_zero": bool} or {"lstm"|"gru"|"simple_rnn": units,
// "return_sequences": bool, "go_backwards": bool, "reset_after": bool (GRU)} (+ activation, bias, k).
void recurrentOrEmbedding(const json& e, LayerDesc& l)
{
    if (e.contains("embedding")) {
        l.kind = LayerKind::Embedding;
        l.units = jsonPositive(e["embedding"], l.where + " \"embedding\"");
        if (!e.contains("vocab"))
            fail(l.where, "an embedding needs \"vocab\" (the number of token ids)");
        l.vocab = jsonPositive(e["vocab"], l.where + " \"vocab\"");
        l.maskZero = jsonFlag(e, "mask_zero", false, l.where);
        l.useBias = false;
        return;
    }
    const char* key = e.contains("lstm") ? "lstm" : e.contains("gru") ? "gru" : "simple_rnn";
    l.kind = e.contains("lstm") ? LayerKind::LSTM : e.contains("gru") ? LayerKind::GRU : LayerKind::SimpleRNN;
    l.units = jsonPositive(e[key], l.where + " \"" + key + "\"");
    l.returnSequences = jsonFlag(e, "return_sequences", false, l.where);
    l.goBackwards = jsonFlag(e, "go_backwards", false, l.where);
    l.resetAfter = jsonFlag(e, "reset_after", true, l.where);
    if (e.contains("activation")) {
        const auto a = activationFromName(e["activation"].is_string() ? e["activation"].get<std::string>() : "");
        if (!a)
            fail(l.where,
                 "unknown activation " + e["activation"].dump() + " (supported: " + supportedActivations() + ")");
        l.activation = *a;
    }
    l.useBias = jsonFlag(e, "bias", true, l.where);
    if (e.contains("k"))
        l.k = jsonPositive(e["k"], l.where + " \"k\"");
}

} // namespace

std::int64_t jsonBounded(const json& v, const std::string& where, std::int64_t limit)
{
    const std::int64_t n = jsonPositive(v, where);
    if (n > limit)
        throw ShapeError("architecture JSON " + where + ": " + std::to_string(n) + " is too large (at most " +
                         std::to_string(limit) + ")");
    return n;
}

bool parseSequenceEntry(const json& e, const std::string& where, std::vector<LayerDesc>& out)
{
    if (e.contains("embedding") || e.contains("lstm") || e.contains("gru") || e.contains("simple_rnn")) {
        LayerDesc l;
        l.where = where;
        recurrentOrEmbedding(e, l);
        out.push_back(l);
    } else if (e.contains("attention")) {
        // Self-attention over the current sequence: {"attention": {"heads": H, "key_dim": D,
        // "value_dim": Dv, "output_dim": N, "causal": bool, "bias": bool}} (or the options beside
        // "attention": H).
        const json& o =
            options(e, "attention", {"heads", "key_dim", "value_dim", "output_dim", "causal", "bias"}, where);
        LayerDesc l = attentionDesc(e, o, "attention", where);
        if (o.contains("output_dim"))
            l.units = jsonBounded(o["output_dim"], where + " \"output_dim\"", kMaxWidth);
        l.useBias = jsonFlag(o, "bias", true, where);
        out.push_back(l);
    } else if (e.contains("layer_norm")) {
        if (!e["layer_norm"].is_object() && e["layer_norm"] != true)
            fail(where, "\"layer_norm\" takes true or an object of options, found " + e["layer_norm"].dump());
        const json& o = options(e, "layer_norm", {"epsilon"}, where);
        out.push_back(layerNormDesc(epsilonOption(o, where), where));
    } else if (e.contains("transformer")) {
        transformerBlock(e, where, out);
    } else if (e.contains("residual")) {
        // {"residual": [entries]}: the entries, then their output plus the tensor entering them.
        const json& body = e["residual"];
        if (!body.is_array() || body.empty())
            fail(where, "\"residual\" must be a non-empty list of layer entries, found " + body.dump());
        residualMark(out, Residual::Begin, where + " (residual)");
        int index = 0;
        for (const json& inner : body)
            parseJsonEntry(inner, where + " (residual) entry " + std::to_string(index++), out);
        residualMark(out, Residual::End, where + " (residual)");
    } else {
        return false;
    }
    return true;
}

} // namespace circnn::architecture
