// Seeded shuffling and the validation split (declared in Trainer.h; a separate file so that code
// using only these does not link the runtime).

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "common/Error.h"
#include "nn/training/Trainer.h"

namespace circnn {

void shuffleIndices(std::vector<std::int64_t>& indices, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    for (std::size_t i = indices.size(); i > 1; --i) {
        // Unbiased draw in [0, i) by rejection.
        const std::uint64_t bound = i;
        const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % bound;
        std::uint64_t r;
        do {
            r = rng();
        } while (r >= limit);
        std::swap(indices[i - 1], indices[static_cast<std::size_t>(r % bound)]);
    }
}

void splitIndices(std::int64_t n, double fraction, std::uint32_t seed, std::vector<std::int64_t>& train,
                  std::vector<std::int64_t>& validation)
{
    if (!(fraction >= 0 && fraction < 1))
        throw Error("validation split must be a fraction in [0, 1), found " + std::to_string(fraction));
    std::vector<std::int64_t> all(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
        all[static_cast<std::size_t>(i)] = i;
    shuffleIndices(all, (std::uint64_t(seed) << 32) ^ 0x5eed5eedULL);
    const auto nv = static_cast<std::size_t>(std::llround(fraction * double(n)));
    validation.assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(nv));
    train.assign(all.begin() + static_cast<std::ptrdiff_t>(nv), all.end());
    std::sort(validation.begin(), validation.end());
    std::sort(train.begin(), train.end());
}

} // namespace circnn
