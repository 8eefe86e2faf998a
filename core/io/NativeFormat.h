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

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "io/ModelFile.h"
#include "model/ModelSpec.h"

namespace circnn::native {

constexpr int kFormatMajor = 1;
constexpr int kFormatMinor =
    3; // 1.2: optional keys of the issue-15 layers; 1.3: Masking's mask_value (docs/file-formats.md)
constexpr const char* kFormatTag = "circnn-model";

// A weight tensor left in the file: its values are `shape` float32 little-endian values at byte
// `fileOffset` of the file (h5::contiguousFloat32Offset checked that).
struct DeferredTensor {
    std::size_t layer = 0; // index in ModelSpec::layers
    std::string role;      // weight role name (model/LayerTraits.h) or "vectors" (circulant)
    Shape shape;
    std::uint64_t fileOffset = 0;
};

// Tensors at least this large are deferred by read(path, &deferred).
constexpr std::int64_t kDeferMinValues = 4096;

// Throws FormatError for a newer major version, naming both versions. With `deferred`, tensors of
// kDeferMinValues or more values stored contiguously as float32 are not read: they are listed
// there and left empty in the result (not checked for NaN either; the isolated reader's parent
// reads and checks them, io/Transfer.h). With `architectureOnly`, no tensor is read: each weight
// dataset's shape goes to LayerSpec::weightShapes and the result has weightsLoaded false.
ModelSpec read(const std::string& path, std::vector<DeferredTensor>* deferred = nullptr, bool architectureOnly = false);
void write(const ModelSpec& model, const std::string& path);

// readModelInProcess (io/ModelFile.h) for the isolated reader's child: large plain float32
// tensors of a native file are listed in `deferred` instead of read (see read() above), and
// shapes are inferred without weight checks when any was deferred.
ModelSpec readModelDeferred(const std::filesystem::path& path, ModelFormat* format,
                            std::vector<DeferredTensor>& deferred);

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
