#pragma once

#include <QString>

namespace circnn::gui {

// A duration in seconds as the views show it: "0.4 s" and "4.2 s" below ten seconds (one decimal),
// "42 s" below a minute, "1 min 05 s" below an hour, "2 h 03 min" beyond; "–" for a negative or
// non-finite value (unknown, e.g. an ETA before the first step).
QString formatDuration(double seconds);

} // namespace circnn::gui
