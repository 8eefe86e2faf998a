#include "model/Dataset.h"

#include <algorithm>

#include "common/Error.h"

namespace circnn {

Dataset selectSamples(const Dataset& data, const std::vector<std::int64_t>& indices, const std::string& suffix)
{
    const std::int64_t n = data.count();
    Dataset out;
    out.name = data.name + suffix;
    out.classCount = data.classCount;
    Shape shape = data.images.shape();
    if (shape.empty())
        shape = {0};
    const std::int64_t per = n ? data.images.size() / n : 0;
    shape[0] = static_cast<std::int64_t>(indices.size());
    out.images = Tensor(shape);
    const bool labelled = static_cast<std::int64_t>(data.labels.size()) == n;
    const bool targeted = data.targets.rank() > 0 && data.targets.dim(0) == n;
    const std::int64_t perTarget = targeted && n ? data.targets.size() / n : 0;
    if (targeted) {
        Shape ts = data.targets.shape();
        ts[0] = static_cast<std::int64_t>(indices.size());
        out.targets = Tensor(ts);
    }
    for (std::size_t i = 0; i < indices.size(); ++i) {
        const std::int64_t s = indices[i];
        if (s < 0 || s >= n)
            throw ShapeError("dataset '" + data.name + "': sample index " + std::to_string(s) + " is outside [0, " +
                             std::to_string(n) + ")");
        std::copy_n(data.images.data() + s * per, per, out.images.data() + static_cast<std::int64_t>(i) * per);
        if (labelled)
            out.labels.push_back(data.labels[static_cast<std::size_t>(s)]);
        if (targeted)
            std::copy_n(data.targets.data() + s * perTarget, perTarget,
                        out.targets.data() + static_cast<std::int64_t>(i) * perTarget);
    }
    return out;
}

} // namespace circnn
