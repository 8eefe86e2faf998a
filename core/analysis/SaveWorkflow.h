#pragma once
// saveModel: writes a model in the format its file name and content call for, atomically.

#include <filesystem>
#include <string>
#include <vector>

#include "io/ModelFile.h"
#include "model/ModelSpec.h"

namespace circnn {

enum class SaveFormat {
    Auto,    // ".h5" (not ".circnn.h5") and only dense layers → Keras .h5; otherwise native
    KerasH5, // Keras .h5 (throws Error for a model with block-circulant layers)
    Native,  // the native CirCNN format (docs/file-formats.md)
};

struct SavePolicy {
    SaveFormat format = SaveFormat::Auto;
    // Stored as provenance.createdBy (e.g. "circnn finetune 0.4.0"); empty = keep the model's.
    std::string createdBy;
    // Stamp provenance.createdAt with the current UTC time (ISO 8601).
    bool stampTime = true;
    // Replace an existing file that is not a model of the format being written (e.g. a Keras .h5
    // by a native model, a dataset, any other file). Off: refused with an Error (CLI: --force).
    bool force = false;
};

struct SaveResult {
    std::filesystem::path path;
    std::string format;                // "keras-h5" or "circnn"
    std::vector<std::string> warnings; // e.g. a .h5 name for a block-circulant model
};

// Writes `model` to `path` (temporary file + rename: never a half-written file). With Auto, a
// model with block-circulant layers asked to go to a Keras-style ".h5" name is written in the
// native format with a warning (Keras cannot store it). Throws Error naming the file on failure.
SaveResult saveModel(ModelSpec model, const std::filesystem::path& path, const SavePolicy& policy = {});

// The format saveModel would write a model in (KerasH5 or Native), given whether it has
// block-circulant layers; `warning` gets the note for a block-circulant model under a Keras-style
// ".h5" name. Throws Error like saveModel for a block-circulant model asked to go to Keras.
ModelFormat plannedSaveFormat(bool circulant, const std::filesystem::path& path, const SavePolicy& policy,
                              std::string* warning = nullptr);

// Throws Error, before any work is done, when saving a model (block-circulant or not) to `path`
// would be refused: `path` is a device, FIFO, socket or directory, or an existing file of another
// format while policy.force is off. Workflows call it before training / converting so that a run
// is not wasted on an output it may not write. No-op for an empty path.
void checkSaveTarget(bool circulant, const std::filesystem::path& path, const SavePolicy& policy);

// Current UTC time as "YYYY-MM-DDTHH:MM:SSZ".
std::string currentTimeIso();

} // namespace circnn
