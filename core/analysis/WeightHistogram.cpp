#include "analysis/WeightHistogram.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/Error.h"

namespace circnn {

ValueHistogram valueHistogram(std::span<const float> values, int bins)
{
    if (bins < 1)
        throw ShapeError("valueHistogram: at least one bin is needed, got " + std::to_string(bins));
    ValueHistogram h;
    h.count = static_cast<std::int64_t>(values.size());
    h.bins.assign(static_cast<std::size_t>(bins), 0);
    double sum = 0, lo = std::numeric_limits<double>::infinity(), hi = -lo;
    std::int64_t zeros = 0;
    for (const float v : values) {
        if (!std::isfinite(v))
            continue;
        ++h.finiteCount;
        sum += v;
        lo = std::min(lo, double(v));
        hi = std::max(hi, double(v));
        zeros += v == 0.0f;
    }
    if (h.finiteCount == 0)
        return h;
    const double n = static_cast<double>(h.finiteCount);
    h.min = lo;
    h.max = hi;
    h.mean = sum / n;
    double sq = 0;
    for (const float v : values)
        if (std::isfinite(v))
            sq += (v - h.mean) * (v - h.mean);
    h.std = std::sqrt(sq / n);
    h.zeroFraction = double(zeros) / n;
    h.lo = lo;
    h.hi = hi;
    if (h.hi == h.lo) {
        h.lo -= 0.5;
        h.hi += 0.5;
    }
    const double width = (h.hi - h.lo) / bins;
    for (const float v : values) {
        if (!std::isfinite(v))
            continue;
        const auto b = static_cast<std::int64_t>((v - h.lo) / width);
        ++h.bins[static_cast<std::size_t>(std::clamp<std::int64_t>(b, 0, bins - 1))];
    }
    return h;
}

} // namespace circnn
