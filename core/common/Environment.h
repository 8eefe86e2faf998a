#pragma once
// Environment variables read by core, validated like command-line flags: a front end calls
// validateEnvironment() at start-up so that CIRCNN_THREADS=abc is an error with a message rather
// than silently ignored.
//   CIRCNN_THREADS        worker threads, an integer in [1, 4096]
//   CIRCNN_MEMORY_LIMIT   memory budget (common/MemoryBudget.h): 4G, 512M, 50%
//   CIRCNN_ISOLATION      0/off/no to read HDF5 files in-process (io/IsolatedReader.h), 1/on/yes

#include <cstdint>
#include <optional>
#include <string>

namespace circnn {

// Throws Error naming the first malformed variable, its value and what is expected.
void validateEnvironment();

// CIRCNN_THREADS as a number, nullopt when unset or empty; Error when malformed.
std::optional<std::int64_t> threadsFromEnvironment();

// A boolean variable: nullopt when unset or empty; Error unless 0/1/on/off/yes/no/true/false.
std::optional<bool> booleanFromEnvironment(const char* name);

} // namespace circnn
