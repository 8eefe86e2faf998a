#pragma once
// The native CirCNN model format (`.circnn.h5`), internal to core/io (use ModelFile.h).
// Layout (documented for users in docs/file-formats.md):
//   /                 attrs circnn_format = "circnn-model", format_version_major (int),
//                     format_version_minor (int), architecture (JSON), plan (JSON),
//                     provenance (JSON)
//   /layers/<i>       one group per layer i = 0, 1, ... in topological order; attr name;
//                     datasets kernel, bias, gamma, beta, moving_mean, moving_variance (as present)
//                     and, for block-circulant layers, vectors (p, q, k) or (kh, kw, p, q, k)
//                     with attrs k, rows, cols.
// Weights are stored as float32 little-endian: a round trip is bit-identical.

#include <string>

#include <nlohmann/json_fwd.hpp>

#include "model/ModelSpec.h"

namespace circnn::native {

constexpr int kFormatMajor = 1;
constexpr int kFormatMinor = 1;
constexpr const char* kFormatTag = "circnn-model";

// Throws FormatError for a newer major version, naming both versions.
ModelSpec read(const std::string& path);
void write(const ModelSpec& model, const std::string& path);

// True if the HDF5 file at `path` carries the native format tag (false for anything else).
bool isNative(const std::string& path);

// A model without its tensors, as the native format describes it: {"name", "inputs", "outputs",
// "layers": [...], "plan": {...}, "provenance": {...}, "circulant": [{"layer", "k", "rows",
// "cols"}]}. Used by the isolated reader's transfer format (io/Transfer.h).
nlohmann::json describeModel(const ModelSpec& model);
// The reverse; tensors are left empty (circulant layers get k, rows, cols). Throws FormatError
// naming `file` for a malformed description.
ModelSpec modelFromDescription(const nlohmann::json& description, const std::string& file);

} // namespace circnn::native
