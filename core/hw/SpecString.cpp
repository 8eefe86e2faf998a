#include "hw/SpecString.h"

#include <cctype>
#include <cstdint>
#include <vector>

#include "common/Error.h"
#include "model/ShapeInference.h"

namespace circnn::hw {

namespace {

std::vector<std::string> splitDash(const std::string& text)
{
    std::vector<std::string> parts;
    std::string cur;
    for (char c : text) {
        if (c == '-') {
            parts.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    parts.push_back(cur);
    return parts;
}

bool allDigits(const std::string& s)
{
    if (s.empty())
        return false;
    for (char c : s)
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return false;
    return true;
}

} // namespace

bool isSpecString(const std::string& text)
{
    const auto parts = splitDash(text);
    if (parts.size() < 2)
        return false;
    for (const std::string& p : parts)
        if (!allDigits(p))
            return false;
    return true;
}

ModelSpec parseSpecString(const std::string& text)
{
    const auto parts = splitDash(text);
    if (parts.size() < 2)
        throw ShapeError("architecture spec '" + text +
                         "': expected at least two layer widths separated by '-', e.g. 9216-4096-4096-1000");
    std::vector<std::int64_t> widths;
    for (const std::string& p : parts) {
        if (!allDigits(p) || p.size() > 12 || std::stoll(p) <= 0)
            throw ShapeError("architecture spec '" + text + "': '" + p + "' is not a positive whole number");
        widths.push_back(std::stoll(p));
    }
    ModelSpec m;
    m.name = text;
    m.provenance.sourceFormat = "spec";
    LayerSpec in;
    in.name = "input";
    in.kind = LayerKind::Input;
    in.className = "InputLayer";
    in.inputShape = {widths[0]};
    m.layers.push_back(in);
    m.inputs = {"input"};
    std::string prev = "input";
    for (std::size_t i = 1; i < widths.size(); ++i) {
        LayerSpec d;
        d.name = "fc" + std::to_string(i);
        d.kind = LayerKind::Dense;
        d.className = "Dense";
        d.inputs = {prev};
        d.units = widths[i];
        d.useBias = true;
        d.activation = i + 1 == widths.size() ? ActivationKind::Softmax : ActivationKind::Relu;
        m.layers.push_back(d);
        prev = d.name;
    }
    m.outputs = {prev};
    inferShapes(m, /*checkWeights=*/false);
    return m;
}

} // namespace circnn::hw
