#pragma once
// Facts about the recurrent layer kinds (SimpleRNN, LSTM, GRU) shared by shape inference,
// conversion, the hardware model and the runtime; the numbers live in the traits table.

#include <cstdint>

#include "model/LayerTraits.h"

namespace circnn {

// Gates stacked in a recurrent layer's kernels: SimpleRNN 1, LSTM 4 (i, f, c, o), GRU 3 (z, r, h);
// 0 for every other kind.
inline std::int64_t recurrentGateCount(LayerKind kind)
{
    return layerTraits(kind).recurrentGates;
}
inline bool isRecurrent(LayerKind kind)
{
    return recurrentGateCount(kind) > 0;
}

} // namespace circnn
