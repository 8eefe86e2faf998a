#pragma once

namespace circnn::gui {

// Lowers the scheduling priority of the calling thread (Linux: its nice value, which threads and
// the processes they start — the isolated reader child — inherit) so that background jobs yield
// the CPU to the GUI thread when the cores are busy: on a 2-core machine a weights transfer plus
// the reader child otherwise take both cores while the user scrolls. Idempotent per thread; a
// no-op where the platform has no per-thread nice value.
void lowerThisThreadPriority();

} // namespace circnn::gui
