#pragma once

#include <memory>

namespace circnn::gui {

// Drops `data` on a background thread. Freeing a projection (hundreds of MB of matrices) costs tens
// of milliseconds of page unmapping; done where the last reference lives (the GUI thread) that is an
// event-loop stall. The data must be safe to destroy on any thread (plain values).
void releaseInBackground(std::shared_ptr<const void> data);

} // namespace circnn::gui
