#pragma once
// Shared material of the workflow tests: a small synthetic 3-class problem (16 values per sample,
// class c bright in band c) and a dense model trained on it, all in memory.

#include <filesystem>
#include <memory>
#include <random>

#include "analysis/TrainWorkflow.h"
#include "model/Dataset.h"

namespace circnn::test {

inline std::shared_ptr<const Dataset> bandsDataset(std::int64_t n, std::uint32_t seed)
{
    auto d = std::make_shared<Dataset>();
    d->images = Tensor({n, 16});
    d->classCount = 3;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(0, 0.3f);
    for (std::int64_t i = 0; i < n; ++i) {
        const int c = static_cast<int>(i % 3);
        d->labels.push_back(c);
        for (int j = 0; j < 16; ++j)
            d->images[i * 16 + j] = u(rng) + (j / 5 == c ? 0.7f : 0.0f);
    }
    return d;
}

inline DataSource inMemory(std::shared_ptr<const Dataset> data)
{
    return DataSource{{}, {}, std::move(data)};
}

// A dense 16-16-8-3 MLP trained for a few epochs (Adam) on `data`.
inline ModelSpec trainedDenseMlp(const std::shared_ptr<const Dataset>& data)
{
    TrainConfig c;
    c.source = "16-16-8-3";
    c.trainData = inMemory(data);
    c.training.epochs = 3;
    c.training.optimizer.learningRate = 0.02;
    return trainModel(c).model;
}

} // namespace circnn::test
