#pragma once
// Long work in core takes a ProgressFn: called with (done, total) units of work; returning false
// asks the work to stop, which it does by throwing circnn::Cancelled at the next safe point.
// Callbacks may be called from worker threads; they must be cheap and thread-safe.

#include <cstddef>
#include <functional>

#include "common/Error.h"

namespace circnn {

using ProgressFn = std::function<bool(std::size_t done, std::size_t total)>;

// Calls `progress` if set and throws Cancelled when it asks to stop.
inline void reportProgress(const ProgressFn& progress, std::size_t done, std::size_t total)
{
    if (progress && !progress(done, total))
        throw Cancelled();
}

} // namespace circnn
