#include "analysis/SweepRunner.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "analysis/SaveWorkflow.h"
#include "analysis/SweepPoint.h"
#include "common/Error.h"
#include "common/Parallel.h"
#include "io/ModelFile.h"

namespace circnn {

namespace {
using Clock = std::chrono::steady_clock;
}

std::vector<SweepFileDigest> sweepFileDigests(const SweepConfig& config)
{
    std::vector<SweepFileDigest> out;
    std::set<std::string> seen;
    auto add = [&](const std::string& role, const std::string& path) {
        if (path.empty() || !seen.insert(path).second)
            return;
        std::error_code ec;
        const auto bytes = std::filesystem::file_size(path, ec);
        out.push_back({role, path, ec ? -1 : static_cast<std::int64_t>(bytes), sha256File(path)});
    };
    for (const std::string& m : config.models)
        add("model", m);
    add("data", config.data);
    add("labels", config.labels);
    add("train_data", config.trainData);
    add("train_labels", config.trainLabels);
    return out;
}

SweepRunResult runSweep(const SweepConfig& config, const SweepRunOptions& options)
{
    validateSweepConfig(config);
    const auto start = Clock::now();
    SweepRunResult run;
    run.config = config;
    run.configHash = sweepConfigHash(config);

    std::vector<ModelSpec> specs;
    for (const std::string& m : config.models)
        specs.push_back(readModel(m));
    const std::vector<SweepPointSpec> all = enumerateSweepPoints(config, specs);
    run.pointCount = all.size();
    const std::vector<hw::Platform> platforms = resolveSweepPlatforms(config);

    SweepResultsHeader header;
    header.configHash = run.configHash;
    header.config = config;
    header.shard = std::to_string(options.shard.index) + "/" + std::to_string(options.shard.count);
    header.provenance = options.provenance;
    header.provenance.date = currentTimeIso();
    header.provenance.machine = describeMachine();
    header.provenance.files = sweepFileDigests(config);

    // Points already in the results file (resume).
    std::map<std::size_t, SweepPointResult> done;
    std::unique_ptr<SweepResultsWriter> writer;
    if (!options.resultsFile.empty()) {
        std::error_code ec;
        const bool exists =
            std::filesystem::exists(options.resultsFile, ec) && std::filesystem::file_size(options.resultsFile, ec) > 0;
        if (options.resume && exists) {
            const SweepResultsContents existing = readSweepResults(options.resultsFile);
            writer = std::make_unique<SweepResultsWriter>(options.resultsFile, header, &existing);
            run.headers = existing.headers;
            for (const SweepPointResult& p : existing.points) {
                if (p.index >= all.size() || all[p.index].id != p.id)
                    throw Error("cannot resume '" + options.resultsFile.string() + "': point '" + p.id +
                                "' is not point " + std::to_string(p.index) + " of this sweep");
                if (options.shard.contains(p.index))
                    done[p.index] = p;
            }
        } else {
            writer = std::make_unique<SweepResultsWriter>(options.resultsFile, header);
        }
    }
    run.headers.push_back(header);
    run.resumed = done.size();

    std::vector<const SweepPointSpec*> todo;
    std::size_t shardTotal = 0;
    for (const SweepPointSpec& p : all)
        if (options.shard.contains(p.index)) {
            ++shardTotal;
            if (!done.count(p.index))
                todo.push_back(&p);
        }

    // Shared, read-only state of every model with points to compute.
    std::map<std::size_t, SweepModelContext> contexts;
    for (const SweepPointSpec* p : todo)
        if (!contexts.count(p->modelIndex))
            contexts.emplace(p->modelIndex, prepareSweepModel(config, p->modelIndex));

    std::mutex mutex; // guards everything below, and serialises progress calls
    std::atomic<bool> stop{false};
    std::exception_ptr error;
    std::size_t running = 0, computedNow = 0;
    SweepProgress status;
    status.total = shardTotal;
    status.done = done.size();
    auto report = [&](const std::string& step) { // call with `mutex` held
        status.running = running;
        status.step = step;
        status.elapsedS = std::chrono::duration<double>(Clock::now() - start).count();
        if (computedNow > 0) // throughput of this session (concurrent points included)
            status.etaS =
                status.elapsedS / static_cast<double>(computedNow) * static_cast<double>(status.total - status.done);
        if (options.progress && !options.progress(status))
            stop = true;
    };
    {
        std::lock_guard lock(mutex);
        report("starting");
    }

    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (;;) {
            if (stop)
                return;
            const std::size_t i = next++;
            if (i >= todo.size())
                return;
            const SweepPointSpec& point = *todo[i];
            {
                std::lock_guard lock(mutex);
                ++running;
                report(point.id + ": starting");
            }
            try {
                SweepPointResult r = computeSweepPoint(
                    config, run.configHash, contexts.at(point.modelIndex), platforms, point,
                    [&](const std::string& s) {
                        std::lock_guard lock(mutex);
                        report(point.id + ": " + s);
                    },
                    [&] { return stop.load(); });
                if (writer)
                    writer->append(r);
                std::lock_guard lock(mutex);
                --running;
                ++computedNow;
                ++status.done;
                if (options.onPoint)
                    options.onPoint(r);
                done[r.index] = std::move(r);
                report(point.id + ": done");
            } catch (...) {
                std::lock_guard lock(mutex);
                --running;
                if (!error)
                    error = std::current_exception();
                stop = true;
            }
        }
    };
    if (options.parallelism == SweepParallelism::Points && todo.size() > 1) {
        const std::size_t lanes = std::min(workerCount(), todo.size());
        parallelFor(lanes, [&](std::size_t begin, std::size_t end) {
            for (std::size_t t = begin; t < end; ++t)
                worker();
        });
    } else {
        worker();
    }
    if (error)
        std::rethrow_exception(error);
    if (stop && status.done < status.total)
        throw Cancelled();

    run.computed = computedNow;
    for (auto& [index, p] : done)
        run.points.push_back(std::move(p));
    run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return run;
}

} // namespace circnn
