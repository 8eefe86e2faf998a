#pragma once
// Internal to core/common's writers (AtomicFile.cpp, AppendFile.cpp).

#include <cstddef>

namespace circnn {

// Writes all `size` bytes to `fd` (retrying short writes and EINTR); returns 0 or the errno.
// Honours injectWriteFailureForTesting (AtomicFile.h): then writes part of the data and fails.
int writeAllBytes(int fd, const void* data, std::size_t size);

} // namespace circnn
