#include "ThreadPriority.h"

#include <algorithm>
#include <cerrno>

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace circnn::gui {

namespace {
// Nice value increment of job threads: weight 335 against the GUI thread's 1024 under Linux's
// fair scheduler (a quarter of a core against the GUI thread when they compete for one), full
// speed when the cores are free.
constexpr int kBackgroundNiceIncrement = 5;
} // namespace

void lowerThisThreadPriority()
{
#ifdef __linux__
    thread_local bool lowered = false;
    if (lowered)
        return;
    lowered = true;
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    errno = 0;
    const int current = ::getpriority(PRIO_PROCESS, tid);
    if (errno == 0) // a failure keeps the priority
        (void)::setpriority(PRIO_PROCESS, tid, std::min(19, current + kBackgroundNiceIncrement));
#endif
}

} // namespace circnn::gui
