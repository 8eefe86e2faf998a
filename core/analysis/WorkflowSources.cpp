#include "analysis/WorkflowSources.h"

#include "common/Error.h"
#include "io/ModelFile.h"

namespace circnn {

std::string ModelSource::label() const
{
    return model && path.empty() ? "(in memory)" : path.string();
}

std::string DataSource::label() const
{
    return data && path.empty() ? "(in memory)" : path.string();
}

std::shared_ptr<const ModelSpec> loadModelSource(const ModelSource& source)
{
    if (source.model)
        return source.model;
    if (source.path.empty())
        throw Error("no model given (neither a file nor a model in memory)");
    return std::make_shared<const ModelSpec>(readModel(source.path));
}

std::shared_ptr<const Dataset> loadDataSource(const DataSource& source, const Shape& inputShape, Shape* imageShape)
{
    std::shared_ptr<const Dataset> data = source.data;
    if (!data) {
        if (source.path.empty())
            throw Error("no dataset given (neither a file nor a dataset in memory)");
        data = std::make_shared<const Dataset>(readDataset(source.path, source.options));
    }
    if (imageShape) {
        const Shape& s = data->images.shape();
        if (s.size() == 3)
            *imageShape = {s[1], s[2], 1};
        else if (s.size() == 4)
            *imageShape = {s[1], s[2], s[3]};
        else
            imageShape->clear();
    }
    Shape sample(data->images.shape().begin() + (data->images.rank() ? 1 : 0), data->images.shape().end());
    if (sample == inputShape)
        return data;
    Dataset fitted = *data;
    fitDatasetToInput(fitted, inputShape);
    return std::make_shared<const Dataset>(std::move(fitted));
}

} // namespace circnn
