#pragma once
// Readers for Keras files (internal to core/io; use readModel() from ModelFile.h).

#include <string>

#include "model/ModelSpec.h"

namespace circnn::keras {

// Legacy HDF5 written by model.save("m.h5") (Keras 2.x, tf.keras, Keras 3). Weights are found only
// through each layer group's `weight_names` attribute. Shapes are not yet inferred.
ModelSpec readLegacyH5(const std::string& path);

// Keras 3 zip (.keras): config.json + model.weights.h5 (weights by positional class-name mapping).
ModelSpec readKerasZip(const std::string& path);

// The architecture only (io/ModelFile.h readModelArchitecture): model_config / config.json and the
// checks that need no weights; every tensor empty, weightsLoaded false, shapes not yet inferred.
// A .keras archive's model.weights.h5 is not opened.
ModelSpec readLegacyH5Architecture(const std::string& path);
ModelSpec readKerasZipArchitecture(const std::string& path);

} // namespace circnn::keras
