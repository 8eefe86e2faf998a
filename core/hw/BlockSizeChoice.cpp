#include "hw/BlockSizeChoice.h"

#include "model/ConversionRules.h"

namespace circnn::hw {

std::map<std::string, std::int64_t> resolveBlockSizes(const ModelSpec& spec, const ConversionPlan& plan,
                                                      std::vector<std::string>& warnings,
                                                      std::map<std::string, std::string>& notes)
{
    std::map<std::string, std::int64_t> result;
    for (const BlockSizeDecision& d : decideBlockSizes(spec, plan)) {
        if (d.circulantAfter())
            result[d.layer] = d.blockSize;
        // The estimate's own wording (its text output predates the shared rule).
        switch (d.outcome) {
        case BlockSizeOutcome::Conflict:
            if (d.requestedK > 1) // k = 1 for a block-circulant layer: it keeps its k without a word
                warnings.push_back("layer '" + d.layer +
                                   "' is already block-circulant with k = " + std::to_string(d.currentK) +
                                   "; the requested k = " + std::to_string(d.requestedK) + " is ignored");
            break;
        case BlockSizeOutcome::OutputLayer:
            notes[d.layer] = "output layer kept dense (name it in a plan, or convert the output layer)";
            break;
        case BlockSizeOutcome::ChannelsBelowK:
        case BlockSizeOutcome::DimensionBelowK:
            notes[d.layer] = "the " + std::to_string(d.rows) + "x" + std::to_string(d.cols) +
                             (d.kind == LayerKind::Conv2D ? " (C_out x C_in)" : "") +
                             " weight matrix has a dimension below k = " + std::to_string(d.requestedK) +
                             ": kept dense (the blocks would be mostly zero padding)";
            warnings.push_back("layer '" + d.layer + "': " + notes[d.layer]);
            break;
        default:
            break;
        }
    }
    return result;
}

} // namespace circnn::hw
