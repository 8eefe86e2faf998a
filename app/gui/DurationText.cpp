#include "DurationText.h"

#include <QObject>

#include <cmath>

namespace circnn::gui {

QString formatDuration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return QStringLiteral("–");
    if (std::round(seconds * 10) < 100) // below 9.95 s: tenths
        return QObject::tr("%1 s").arg(seconds, 0, 'f', 1);
    const long long s = std::llround(seconds);
    if (s < 60)
        return QObject::tr("%1 s").arg(s);
    if (s < 3600)
        return QObject::tr("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    const long long m = std::llround(seconds / 60);
    return QObject::tr("%1 h %2 min").arg(m / 60).arg(m % 60, 2, 10, QLatin1Char('0'));
}

} // namespace circnn::gui
