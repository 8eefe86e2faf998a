#include "io/KerasBidirectional.h"

#include <nlohmann/json.hpp>

#include "common/Error.h"
#include "io/KerasConfig.h"
#include "io/KerasConfigValues.h"
#include "model/RecurrentKinds.h"

namespace circnn::keras {

using nlohmann::json;

namespace {

// Keras names the directions "forward_<layer>" and "backward_<layer>" (a configured
// backward_layer keeps its own name); a name that already has the prefix keeps it.
std::string directionName(const std::string& prefix, const std::string& inner)
{
    return inner.rfind(prefix, 0) == 0 ? inner : prefix + inner;
}

const json* wrapped(const json& entry, const char* key)
{
    const json* cfg = member(entry, "config");
    const json* inner = cfg && cfg->is_object() ? member(*cfg, key) : nullptr;
    return inner && inner->is_object() ? inner : nullptr;
}

// The wrapped layer parsed, checked to be a recurrent layer the wrapper can run.
LayerSpec parseDirection(const ConfigContext& c, const std::string& file, const json& entry, const char* what)
{
    LayerSpec l;
    try {
        l = parseLayerConfig(entry, file);
    } catch (const FormatError& e) {
        const std::string msg = e.what(), head = file + ": ";
        c.fail(std::string(what) + ": " + (msg.rfind(head, 0) == 0 ? msg.substr(head.size()) : msg));
    }
    if (!isRecurrent(l.kind))
        c.fail(std::string(what) + " is a " + l.className +
               "; Bidirectional is supported around SimpleRNN, LSTM and GRU");
    if (l.returnState)
        c.fail("return_state=True (several outputs) is not supported");
    return l;
}

} // namespace

bool isBidirectionalClass(const std::string& className)
{
    return className == "Bidirectional";
}

std::pair<std::string, std::string> bidirectionalLayerNames(const json& entry, const std::string& name)
{
    std::string inner = "rnn", backward;
    if (const json* f = wrapped(entry, "layer"); f && member(*f, "config") && (*f)["config"].is_object())
        inner = stringOr((*f)["config"], "name", inner);
    backward = directionName("backward_", inner);
    if (const json* b = wrapped(entry, "backward_layer"); b && member(*b, "config") && (*b)["config"].is_object())
        backward = stringOr((*b)["config"], "name", backward);
    return {name + "/" + directionName("forward_", inner), name + "/" + backward};
}

std::vector<LayerSpec> expandBidirectional(const std::string& file, const json& entry, const std::string& name,
                                           const std::vector<std::string>& inputs)
{
    const ConfigContext c{file, name, "Bidirectional"};
    if (inputs.size() != 1)
        c.fail("called with " + std::to_string(inputs.size()) + " inputs (exactly one)");
    const json* layer = wrapped(entry, "layer");
    if (!layer)
        c.fail("Bidirectional has no wrapped 'layer'");
    const json& cfg = entry.at("config");
    LayerSpec forward = parseDirection(c, file, *layer, "the wrapped layer");
    LayerSpec backward;
    if (const json* b = wrapped(entry, "backward_layer")) {
        backward = parseDirection(c, file, *b, "backward_layer");
        if (backward.kind != forward.kind || backward.units != forward.units ||
            backward.returnSequences != forward.returnSequences)
            c.fail("backward_layer differs from the wrapped layer in class, units or return_sequences");
        if (backward.goBackwards == forward.goBackwards)
            c.fail("backward_layer must process the steps in the other direction (go_backwards differs)");
    } else {
        backward = forward;
        backward.goBackwards = !forward.goBackwards;
    }
    const auto [forwardName, backwardName] = bidirectionalLayerNames(entry, name);
    forward.name = forwardName;
    backward.name = backwardName;
    forward.inputs = backward.inputs = inputs;
    // Keras reverses the backward layer's returned sequence back into the input's order.
    backward.reverseOutputSteps = backward.returnSequences;

    LayerSpec merge;
    merge.name = name;
    merge.className = "Bidirectional";
    merge.inputs = {forward.name, backward.name};
    std::string m = "concat"; // Keras' default; null (None) means two outputs
    if (cfg.contains("merge_mode")) {
        const json& v = cfg["merge_mode"];
        m = v.is_string() ? v.get<std::string>() : v.is_null() ? "None" : v.dump();
    }
    if (m == "concat") {
        merge.kind = LayerKind::Concatenate;
        merge.axis = -1;
    } else if (m == "sum") {
        merge.kind = LayerKind::Add;
    } else if (m == "ave") {
        merge.kind = LayerKind::Average;
    } else if (m == "mul") {
        merge.kind = LayerKind::Multiply;
    } else if (m == "None") {
        c.fail("merge_mode None returns the two directions as separate outputs, which is not supported "
               "(use concat, sum, ave or mul)");
    } else {
        c.fail("unknown merge_mode '" + m + "' (concat, sum, ave, mul)");
    }
    return {std::move(forward), std::move(backward), std::move(merge)};
}

} // namespace circnn::keras
