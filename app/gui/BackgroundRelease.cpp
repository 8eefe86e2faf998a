#include "BackgroundRelease.h"

#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

namespace circnn::gui {

void releaseInBackground(std::shared_ptr<const void> data)
{
    if (!data || data.use_count() > 1) // someone else still holds it: nothing is freed here
        return;
    static QThreadPool pool;
    static const bool configured = [] {
        pool.setMaxThreadCount(1);
        return true;
    }();
    (void)configured;
    (void)QtConcurrent::run(&pool, [data = std::move(data)]() mutable { data.reset(); });
}

} // namespace circnn::gui
