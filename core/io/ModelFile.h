#pragma once
// Reading and writing models. Formats:
// - Keras legacy HDF5 (.h5/.hdf5: Keras 2.x, tf.keras, Keras 3 `model.save("m.h5")`)
// - Keras 3 zip (.keras: config.json + model.weights.h5)
// - the native CirCNN format (HDF5, `.circnn.h5`): architecture, dense or block-circulant weights,
//   conversion plan, provenance; see docs/file-formats.md
// Every failure throws FormatError naming the file, the layer and what was wrong.

#include <filesystem>
#include <string>

#include "common/Progress.h"
#include "model/ModelSpec.h"

namespace circnn {

enum class ModelFormat { KerasH5, KerasZip, Native };

// Detects the format from the content (HDF5 signature, zip signature, native version attribute).
// An HDF5 file is opened in the isolated reader (io/IsolatedReader.h) unless isolation is off.
ModelFormat detectModelFormat(const std::filesystem::path& path);

// Reads any supported format. The result has its layers in topological order and passes
// inferShapes(); provenance.sourceFile/sourceFormat are set. Only regular files are read. HDF5
// and .keras files are parsed in the isolated reader (io/IsolatedReader.h) unless isolation is
// off: a file that crashes or hangs the HDF5 library gives a FormatError instead.
// `progress` (optional) can cancel the read: in the isolated reader it is asked while the child
// runs and a false return kills the child and throws Cancelled (io/IsolatedReader.h); read in
// this process (isolation off, a file that is neither HDF5 nor zip) it is asked before and after
// the read only.
ModelSpec readModel(const std::filesystem::path& path, const ProgressFn& progress = {});

// The same, always in this process (the isolated reader's child; trusted files).
ModelSpec readModelInProcess(const std::filesystem::path& path, ModelFormat* format = nullptr);

// The architecture only, for showing a model's layer table before its weights are read: the
// native description / Keras model_config / .keras config.json, and no weight values. Every
// weight tensor of the result is empty; LayerSpec::weightShapes holds their shapes (native: each
// weight dataset's extent, read from the file's metadata; Keras: the shapes the configuration
// implies, as readModel checks them) and ModelSpec::weightsLoaded is false, so inferShapes,
// layerStats / modelStats, inspectModel's layer table and the hardware estimates work, and
// anything that computes with weights needs readModel(). Shapes are inferred. Same isolation as
// readModel (a short child that sends only the description, io/IsolatedReader.h) and the same
// FormatError for a damaged file or configuration; damage inside weight data is found only by
// readModel. `format`: the detected format, when not null.
// `progress`: as for readModel.
ModelSpec readModelArchitecture(const std::filesystem::path& path, ModelFormat* format = nullptr,
                                const ProgressFn& progress = {});
ModelSpec readModelArchitectureInProcess(const std::filesystem::path& path, ModelFormat* format = nullptr);
ModelFormat detectModelFormatInProcess(const std::filesystem::path& path);

struct ModelWriteOptions {
    // Replace an existing file that is not a model of the format being written (a Keras .h5 by a
    // native model, a dataset, any other file). Off: such a write is refused (CLI: --force).
    bool replaceOtherFormat = false;
};

// Throws Error, before anything is written, when `path` exists and is a file a model of `format`
// must not replace without options.replaceOtherFormat (see ModelWriteOptions), or is a device,
// FIFO, socket or directory. An empty file or no file is fine.
void checkModelReplaceable(const std::filesystem::path& path, ModelFormat format,
                           const ModelWriteOptions& options = {});

// Writes the native format atomically (common/AtomicFile.h). Reading it back gives a spec
// whose forward pass is bit-identical.
void writeNativeModel(const ModelSpec& model, const std::filesystem::path& path, const ModelWriteOptions& options = {});

// Writes a Keras-compatible legacy .h5 (layout as Keras 2/3 writes it). Throws Error if a layer is
// block-circulant (Keras has no such layer: expand or keep the native format).
void writeKerasH5(const ModelSpec& model, const std::filesystem::path& path, const ModelWriteOptions& options = {});

// Human name of a format ("Keras HDF5 model", ...), for messages.
const char* modelFormatName(ModelFormat format);

} // namespace circnn
