#pragma once

#include <QString>

namespace circnn::gui {

// `circnn-studio --bench`: the responsiveness benchmark of the desktop app (not a test; the numbers
// depend on the machine). Writes a Markdown report to stdout:
// - time from File ▸ Open to the layer table of a ~100 MB native model (written to `folder`, or to
//   a new temporary folder that is removed afterwards);
// - heatmap render time of a 4096 × 9216 matrix at several zoom levels;
// - time from a new k to the shown projection of a 4096 × 4096 layer;
// - a training run in the training view (live curves) and a block-size sweep in the sweep view
//   (live charts and table), when the bundled sample data is present;
// - the longest event-loop stall while these jobs run, from a 5 ms timer probe, and the GUI-thread
//   CPU time spent in the gap between two ticks that took the most (the part of a stall that is
//   our code rather than waiting for a core). CIRCNN_BENCH_TRACE=1 prints, for every gap with
//   more than 15 ms of GUI-thread CPU, the events delivered in it (to stderr).
// Returns 0, or 1 when a step failed.
int runGuiBenchmark(const QString& folder);

} // namespace circnn::gui
