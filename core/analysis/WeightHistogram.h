#pragma once
// Distribution of a set of weights for display: summary statistics and a histogram.

#include <cstdint>
#include <span>
#include <vector>

namespace circnn {

struct ValueHistogram {
    std::int64_t count = 0;       // values given
    std::int64_t finiteCount = 0; // of which finite (the statistics and bins use only these)
    double min = 0, max = 0, mean = 0, std = 0;
    double zeroFraction = 0;        // exact zeros / finite values
    double lo = 0, hi = 0;          // histogram range: [min, max] (widened by ±0.5 when min == max)
    std::vector<std::int64_t> bins; // bin b covers [lo + b·w, lo + (b+1)·w), the last one closed; w = (hi−lo)/bins
};

// Statistics and a histogram of `bins` equal-width bins over [min, max] of the finite values.
// Throws ShapeError for bins < 1. An empty (or all non-finite) input gives zero counts.
ValueHistogram valueHistogram(std::span<const float> values, int bins);

} // namespace circnn
