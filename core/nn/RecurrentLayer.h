#pragma once
// RecurrentLayer: what SimpleRNN, LSTM and GRU share — weights, the loop over time, masking,
// go_backwards, return_sequences and back-propagation through time — around a cell (the
// subclass: SimpleRnnLayer, LstmLayer, GruLayer) that computes one time step for the whole batch.
//
// Input (batch, steps, features); output (batch, steps, units) with return_sequences, else
// (batch, units) (the last step). The initial state is zero. With go_backwards the steps are
// processed last to first and the output sequence is in processing order (reversed), as in Keras;
// reverseOutputSteps reverses the returned sequence (the backward half of a Bidirectional).
// return_state has no effect here: models use the layer's first output only (the reader rejects
// graphs that consume the states).
//
// Masking: when Model finds an Embedding with mask_zero upstream (nn/SequenceMask.h) it passes the
// token ids as a second input; a step whose id is 0 leaves the state unchanged, and its output is
// the carried output (Keras' default) or zeros with zero_output_for_mask.
//
// Weights (model/ModelSpec.h): kernel (in, G·u) and recurrent_kernel (u, G·u) with the G gates
// stacked in Keras' order, or their block-circulant forms (G·u × in and G·u × u). The input
// projection x·K (+ input bias) is computed for all time steps at once (one GEMM or one batched
// block-circulant product over batch·steps rows); the recurrent product h·U runs per step on the
// batch, reusing the weight spectra. Backward collects the per-step gradients and computes the
// weight gradients in one product each over all steps.
//
// Parameters: "kernel" or "vectors"; "recurrent_kernel" or "recurrent_vectors"; "bias".

#include <vector>

#include "nn/GateMatrix.h"
#include "nn/Layer.h"

namespace circnn::nn {

class RecurrentLayer : public Layer {
public:
    using Layer::Layer;
    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937& rng,
                      bool skipSoftmax) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;
    std::vector<ParameterRef> parameters() override;
    void parametersChanged() override;
    void storeParameters(LayerSpec& spec) const override;

protected:
    // Rows for the recurrent weight gradient: dL/dU = Σ inᵀ·grad over all rows added.
    struct RecurrentRows {
        std::vector<float> in, grad;
        void add(const float* inRow, std::int64_t inCols, const float* gradRow, std::int64_t gradCols);
    };

    // ---- the cell ----
    // Floats per batch row and time step the cell keeps for its backward step.
    virtual std::int64_t recordSize() const = 0;
    // One step: xp = x_t·K + input bias (batch × G·u); previous hidden state hPrev and (LSTM) cell
    // state cPrev (batch × u) → h, c; writes its record (batch × recordSize()).
    virtual void cellForward(const float* xp, const float* hPrev, const float* cPrev, float* h, float* c, float* record,
                             std::int64_t batch) const = 0;
    // Backward of one step: from dL/dh_t and dL/dc_t (batch × u) to dL/dxp (batch × G·u), dL/dh_{t−1}
    // and dL/dc_{t−1} (overwritten), adding the rows of the recurrent weight gradient to `rows`.
    virtual void cellBackward(const float* record, const float* dh, const float* dc, float* dxp, float* dhPrev,
                              float* dcPrev, RecurrentRows& rows, std::int64_t batch) const = 0;

    // ---- for the cells ----
    // r = h·U (+ the recurrent bias of a GRU with reset_after) for batch rows (batch × G·u).
    void recurrentProduct(const float* h, float* r, std::int64_t batch) const;
    // dh = dr·Uᵀ (batch × u).
    void recurrentTransposed(const float* dr, float* dh, std::int64_t batch) const;
    // The layer's activation / recurrent activation, in place on n values, and their gradients
    // (gz = f'(z) ∘ gy given z and y = f(z)).
    void activate(float* v, std::int64_t n) const;
    void activateGate(float* v, std::int64_t n) const;
    void activationGrad(const float* z, const float* y, const float* gy, float* gz, std::int64_t n) const;
    void gateGrad(const float* z, const float* y, const float* gy, float* gz, std::int64_t n) const;

    std::int64_t m_units = 0, m_gates = 0, m_in = 0, m_steps = 0;

private:
    void run(Inputs inputs, Tensor& out, Tensor* records, InputSpectra* keep) const;
    // 1 per (batch, step) when the step counts, 0 when masked; empty without a mask input.
    std::vector<unsigned char> stepMask(Inputs inputs, std::int64_t batch) const;
    std::int64_t order(std::int64_t s) const { return m_spec->goBackwards ? m_steps - 1 - s : s; }
    // Where the s-th processed step's output goes in a returned sequence (reverseOutputSteps: the
    // sequence reversed once more, as a Bidirectional does with its backward layer's).
    std::int64_t outputStep(std::int64_t s) const { return m_spec->reverseOutputSteps ? m_steps - 1 - s : s; }

    Tensor m_kernel, m_vectors, m_recurrentKernel, m_recurrentVectors, m_bias;
    GateMatrix m_w, m_u;
    bool m_recurrentBias = false; // GRU reset_after: bias row 1 is added to h·U
    bool m_hasMask = false;
};

} // namespace circnn::nn
