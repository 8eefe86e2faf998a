#pragma once
// The isolated reader's transfer format: how the `circnn-reader` child hands a parsed model,
// dataset, detected format or error back to the parent (io/IsolatedReader.h), so that the parent
// never parses the untrusted file with the HDF5 library itself. A format of the project's own,
// simple enough to validate completely:
//   bytes 0..15   magic "CIRCNN-XFER-1\n" padded with two zero bytes
//   bytes 16..23  header length H, unsigned 64-bit little-endian
//   H bytes       header: JSON {"kind": "model" | "dataset" | "format" | "error", ...}
//   zero padding to a multiple of 64 bytes; then the data section: every tensor's raw values
//   (float32; dataset labels int32; little-endian) at the byte offset its header entry gives,
//   relative to the start of the data section, each starting on a 64-byte boundary.
// Model header: {"kind": "model", "format": "keras-h5" | "keras-zip" | "native",
//   "model": native::describeModel(...), "tensors": [{"layer", "role", "shape", "offset"}],
//   and for tensors left in the model file (native::DeferredTensor: plain contiguous float32)
//   "file_tensors": [{"layer", "role", "shape", "file_offset"}] with "file": {"dev", "ino",
//   "size", "mtime_ns"}, the identity of the file the child read}. The parent reads those values
//   itself with pread() from its own descriptor of the file (same identity required), so a
//   large model crosses the process boundary as a description, not as a copy. An architecture-only
//   model (ModelSpec::weightsLoaded false) adds "weights_loaded": false and "weight_shapes":
//   [{"layer", "role", "shape"}] (LayerSpec::weightShapes) and has no tensors.
// Dataset header: {"kind": "dataset", "name", "class_count", "images": {"shape", "offset"},
//   "labels": {"count", "offset"}}
// Error header: {"kind": "error", "type": "format" | "shape" | "error", "message"}.
// Readers check every size and offset against the bytes present and throw FormatError naming
// `source` for anything inconsistent.

#include <cstddef>
#include <string>
#include <vector>

#include "io/ModelFile.h"
#include "io/NativeFormat.h"
#include "model/Dataset.h"
#include "model/ModelSpec.h"

namespace circnn::transfer {

// Writers: to an open file descriptor, from the current position. Throw Error on a write error.
// `deferred` tensors are described by their place in `modelPath` (see above).
void writeModel(int fd, const ModelSpec& model, ModelFormat format,
                const std::vector<native::DeferredTensor>& deferred = {}, const std::string& modelPath = {});
void writeDataset(int fd, const Dataset& data);
void writeFormat(int fd, ModelFormat format);
void writeError(int fd, const std::string& type, const std::string& message);

// Readers over the whole message in memory. Each throws the carried error for an "error"
// message (FormatError, ShapeError or Error by type) and FormatError for a malformed message or
// one of another kind.
// `modelFd`: the parent's own open descriptor of the model file, for "file_tensors" (-1: none; a
// message with such tensors is then malformed). A file whose identity differs from the one the
// child read gives FormatError ("changed while it was being read").
ModelSpec readModel(const char* data, std::size_t size, const std::string& source, ModelFormat* format = nullptr,
                    int modelFd = -1);
Dataset readDataset(const char* data, std::size_t size, const std::string& source);
ModelFormat readFormat(const char* data, std::size_t size, const std::string& source);

// "keras-h5", "keras-zip", "native" and back (nullopt-like: throws FormatError for unknown names).
const char* formatTag(ModelFormat format);
ModelFormat formatFromTag(const std::string& tag, const std::string& source);

} // namespace circnn::transfer
