#pragma once
// The hardware cost of a recurrent layer (SimpleRNN, LSTM, GRU), used by Estimator.cpp for layers
// of CostClass::Recurrent. Per time step the layer multiplies the input x_t by W (G·u × n) and the
// previous state h_{t−1} by U (G·u × u), then runs the element-wise gate arithmetic; a frame is
// `steps` time steps. Block-circulant (C-LSTM): x_t and h_{t−1} are transformed (q_W + q_U real
// FFTs), both products accumulate into the same p = ⌈G·u/k⌉ output spectra (p·(q_W + q_U)·(k/2+1)
// complex MACs) and p inverse FFTs give the gate pre-activations.
//
// The recurrent dependency: step t needs h_{t−1}, so steps run one after another. A frame's
// compute cycles are at least steps × the step's dependent chain (recurrentStepDepth): the
// multiply, an adder tree over the recurrent inputs (dense) or FFT → complex MAC accumulation →
// inverse FFT butterfly stages (block-circulant), then the gate activation and the state update.

#include <cstdint>

#include "hw/Estimate.h"
#include "model/ModelSpec.h"

namespace circnn::hw {

// Operation counts per frame (all steps) at block size k (1 = dense). `in`: the layer's input shape
// (steps, features).
OpCounts recurrentOps(const LayerSpec& l, const Shape& in, std::int64_t k);
// Stored numbers: W and U (dense, or p·(q_W + q_U)·k defining values) plus the bias.
double recurrentWeightCount(const LayerSpec& l, const Shape& in, std::int64_t k);
// Spectrum values (complex bins × 2) written and read per frame by a block-circulant layer.
double recurrentSpectraValues(const LayerSpec& l, const Shape& in, std::int64_t k);
// Cycles of one step's dependent chain (see above); the layer cannot take fewer than steps × this.
double recurrentStepDepth(const LayerSpec& l, std::int64_t k);
// Stored numbers of the recurrent matrix U alone (dense G·u·u, block-circulant p·q_U·k): every
// time step reads all of U, while W·x_t can be computed for all steps in one pass (W read once).
double recurrentStateWeightCount(const LayerSpec& l, std::int64_t k);
// Weight traffic of a recurrent layer per batch, in bits, given its stored weight bits, the part
// pinned on chip and U's bits: U is kept on chip first (W and the bias stream instead), W and the
// bias are read once per batch, U once per step. Sets `onchip` and `offchip`.
void recurrentWeightTraffic(double weightBits, double weightBitsOnChip, double stateBits, double steps, double& onchip,
                            double& offchip);

} // namespace circnn::hw
