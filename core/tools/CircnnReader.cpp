// circnn-reader: reads one HDF5-based file (model or dataset) on behalf of circnn, circnn-studio
// and the tests, in a process of its own under time and memory limits (io/IsolatedReader.h).
// Not meant to be run by hand: the result goes to file descriptor 3 in the transfer format.
//
// One mode for people: `circnn-reader --benchmark MODEL [N]` times N openings of MODEL in-process
// and through the isolated reader (alternating, median of each), for docs/benchmarks.md.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <sys/resource.h>

#include "common/Error.h"
#include "io/IsolatedReader.h"
#include "io/ModelFile.h"

namespace {

int benchmark(const char* path, int n)
{
    using Clock = std::chrono::steady_clock;
    // CPU seconds of this process plus its finished children (the reader child's share).
    const auto cpu = [] {
        double s = 0;
        for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
            rusage u{};
            getrusage(who, &u);
            s += double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
        }
        return s;
    };
    std::vector<double> direct, isolated, directCpu, isolatedCpu;
    for (int i = 0; i < n; ++i) {
        auto t0 = Clock::now();
        const double c0 = cpu();
        const circnn::ModelSpec a = circnn::readModelInProcess(path);
        auto t1 = Clock::now();
        const double c1 = cpu();
        const circnn::ModelSpec b = circnn::readModelIsolated(path);
        auto t2 = Clock::now();
        const double c2 = cpu();
        direct.push_back(std::chrono::duration<double>(t1 - t0).count());
        isolated.push_back(std::chrono::duration<double>(t2 - t1).count());
        directCpu.push_back(c1 - c0);
        isolatedCpu.push_back(c2 - c1);
    }
    const auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    const double d = median(direct), s = median(isolated);
    const double dc = median(directCpu), sc = median(isolatedCpu);
    std::printf("%s (median of %d)\n  wall: in-process %.1f ms, isolated %.1f ms, overhead %+.1f%%\n"
                "  CPU (parent + child): in-process %.1f ms, isolated %.1f ms, overhead %+.1f%%\n",
                path, n, d * 1e3, s * 1e3, 100.0 * (s - d) / d, dc * 1e3, sc * 1e3, 100.0 * (sc - dc) / dc);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc >= 3 && std::strcmp(argv[1], "--benchmark") == 0) {
        try {
            return benchmark(argv[2], argc >= 4 ? std::max(1, std::atoi(argv[3])) : 9);
        } catch (const circnn::Error& e) {
            std::fprintf(stderr, "circnn-reader: %s\n", e.what());
            return 1;
        }
    }
    return circnn::runReaderChild(argc, argv);
}
