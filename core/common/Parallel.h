#pragma once
// Data-parallel loops over all cores. Work items must be independent; results are deterministic
// as long as each index writes only its own outputs (the split into chunks never changes which
// index computes what).

#include <cstddef>
#include <functional>

namespace circnn {

// Number of worker threads used by parallelFor: CIRCNN_THREADS if set, else hardware concurrency.
std::size_t workerCount();
// Overrides workerCount() for this process (0 restores the default). Used by benchmarks/tests.
void setWorkerCount(std::size_t n);

// Calls body(begin, end) on disjoint chunks covering [0, n), on up to workerCount() threads.
// The calling thread takes part. Exceptions from a chunk are rethrown (the first one) after all
// chunks finish. Nested calls run serially on the calling thread.
void parallelFor(std::size_t n, const std::function<void(std::size_t begin, std::size_t end)>& body,
                 std::size_t minChunk = 1);

// True on a thread that is running a parallelFor chunk (where parallelFor runs serially).
bool insideParallelFor();

} // namespace circnn
