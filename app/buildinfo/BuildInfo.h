#pragma once
// Build identification for the front ends: the commit the tree was configured from and where the
// bundled sample models live. Defined in one generated translation unit (BuildInfo.cpp.in) so that
// a new commit or a different checkout path recompiles one file, not every target that shows them.

namespace circnn::build {

// Short commit hash at configure time ("unknown" outside a git checkout).
const char* commit();
// Absolute path of the project's sample_models/ folder in the source tree.
const char* sampleDir();

} // namespace circnn::build
