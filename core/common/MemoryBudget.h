#pragma once
// The memory budget: sizes announced by a file header or an architecture are checked against it
// before anything is allocated, so "train 28x28x1-c100000-10" or an IDX header claiming 10^12
// pixels fail at once with the size they would need instead of swapping or dying later.
//
// The limit is, in order: setMemoryLimit() (CLI --memory-limit, a GUI setting), the environment
// variable CIRCNN_MEMORY_LIMIT, or half of the physical memory.

#include <cstdint>
#include <optional>
#include <string>

namespace circnn {

// Physical memory of the machine in bytes (0 if unknown).
std::int64_t physicalMemoryBytes();

// The current limit in bytes. Throws Error if CIRCNN_MEMORY_LIMIT is set but malformed.
std::int64_t memoryLimitBytes();

// Sets the limit for this process; 0 returns to the default (environment, else half of RAM).
void setMemoryLimitBytes(std::int64_t bytes);
// The value set by setMemoryLimitBytes (0 = none).
std::int64_t memoryLimitOverride();

// Throws Error "<what> needs 3.1 GiB, more than the memory limit of 2.0 GiB (--memory-limit)"
// when bytes exceeds the limit (or is negative: an overflowed size).
void checkMemoryBudget(std::int64_t bytes, const std::string& what);

// "512M", "4G", "1.5GiB", "100000" (bytes), "50%" (of physical memory): bytes, or nullopt when
// malformed, not finite, not positive or beyond 2^62.
std::optional<std::int64_t> parseByteSize(const std::string& text);

// 3.1 GiB, 512 MiB, 10 KiB, 12 bytes.
std::string formatBytes(std::int64_t bytes);

// a·b, or -1 when it overflows (negative operands give -1 too). For size arithmetic before a check.
std::int64_t saturatingMultiply(std::int64_t a, std::int64_t b);
// a + b, or -1 when it overflows or an operand is negative.
std::int64_t saturatingAdd(std::int64_t a, std::int64_t b);

} // namespace circnn
