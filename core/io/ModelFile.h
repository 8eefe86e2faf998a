#pragma once
// Reading and writing models. Formats:
// - Keras legacy HDF5 (.h5/.hdf5: Keras 2.x, tf.keras, Keras 3 `model.save("m.h5")`)
// - Keras 3 zip (.keras: config.json + model.weights.h5)
// - the native CirCNN format (HDF5, `.circnn.h5`): architecture, dense or block-circulant weights,
//   conversion plan, provenance; see docs/file-formats.md
// Every failure throws FormatError naming the file, the layer and what was wrong.

#include <filesystem>
#include <string>

#include "model/ModelSpec.h"

namespace circnn {

enum class ModelFormat { KerasH5, KerasZip, Native };

// Detects the format from the content (HDF5 signature, zip signature, native version attribute).
ModelFormat detectModelFormat(const std::filesystem::path& path);

// Reads any supported format. The result has its layers in topological order and passes
// inferShapes(); provenance.sourceFile/sourceFormat are set.
ModelSpec readModel(const std::filesystem::path& path);

// Writes the native format atomically (temporary file + rename). Reading it back gives a spec
// whose forward pass is bit-identical.
void writeNativeModel(const ModelSpec& model, const std::filesystem::path& path);

// Writes a Keras-compatible legacy .h5 (layout as Keras 2/3 writes it). Throws Error if a layer is
// block-circulant (Keras has no such layer: expand or keep the native format).
void writeKerasH5(const ModelSpec& model, const std::filesystem::path& path);

} // namespace circnn
