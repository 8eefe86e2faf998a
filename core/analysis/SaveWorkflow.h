#pragma once
// saveModel: writes a model in the format its file name and content call for, atomically.

#include <filesystem>
#include <string>
#include <vector>

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

// Current UTC time as "YYYY-MM-DDTHH:MM:SSZ".
std::string currentTimeIso();

} // namespace circnn
