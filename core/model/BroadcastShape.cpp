#include "model/BroadcastShape.h"

#include <algorithm>

namespace circnn {

std::optional<Shape> broadcastShapes(const Shape& a, const Shape& b)
{
    const std::size_t rank = std::max(a.size(), b.size());
    Shape out(rank, 1);
    for (std::size_t i = 0; i < rank; ++i) { // i counts from the last axis
        const std::int64_t x = i < a.size() ? a[a.size() - 1 - i] : 1;
        const std::int64_t y = i < b.size() ? b[b.size() - 1 - i] : 1;
        if (x != y && x != 1 && y != 1)
            return std::nullopt;
        out[rank - 1 - i] = x == 1 ? y : x;
    }
    return out;
}

} // namespace circnn
