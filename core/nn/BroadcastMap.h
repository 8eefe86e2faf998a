#pragma once
// How one input of an element-wise merge is broadcast to the merge's output (Keras semantics,
// model/BroadcastShape.h): for every element of one output sample, the element of the input sample
// it reads. Forward expands an input to the output shape; backward sums the output gradient back
// over the broadcast axes. An input of the output's shape is the identity (nothing is copied by
// the callers' fast path).

#include <cstdint>
#include <vector>

#include "common/Tensor.h"
#include "model/ModelSpec.h"

namespace circnn::nn {

class BroadcastMap {
public:
    BroadcastMap() = default; // identity
    // `in` must broadcast to `out` (per-sample shapes); throws ShapeError otherwise.
    BroadcastMap(const Shape& in, const Shape& out);

    bool identity() const { return m_source.empty(); }
    // x (batch, in...) → y (batch, out...): y[b, j] = x[b, source(j)].
    void expand(const Tensor& x, Tensor& y) const;
    // g (batch, out...) → gx (batch, in...): gx[b, i] = Σ_{j : source(j) = i} g[b, j] (the gradient
    // of expand).
    void reduce(const Tensor& g, Tensor& gx) const;

private:
    Shape m_in, m_out;
    std::vector<std::int64_t> m_source; // per output element of a sample; empty = identity
};

} // namespace circnn::nn
