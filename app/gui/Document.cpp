#include "Document.h"

#include <QFileInfo>

#include <algorithm>
#include <filesystem>

#include "BackgroundRelease.h"
#include "BuildInfo.h"
#include "JobRunner.h"
#include "analysis/WeightView.h"
#include "io/DatasetFile.h"
#include "io/ModelFile.h"
#include "model/LayerTraits.h"

namespace circnn::gui {

namespace {
struct Loaded {
    std::shared_ptr<const ModelSpec> model;
    QString format;
};

QString formatText(ModelFormat f)
{
    switch (f) {
    case ModelFormat::KerasH5:
        return QObject::tr("Keras .h5");
    case ModelFormat::KerasZip:
        return QObject::tr("Keras .keras");
    case ModelFormat::Native:
        return QObject::tr("CirCNN native");
    }
    return {};
}
} // namespace

Document::Document(JobRunner* jobs, QObject* parent) : QObject(parent), m_jobs(jobs)
{
    m_conversion.defaultBlockSize = 8;
    m_conversion.reorderUnits = true; // as circnn convert / eval -k / finetune
    connect(m_jobs, &JobRunner::jobCancelled, this, &Document::onJobCancelled);
}

void Document::onJobCancelled(const QString& channel)
{
    // A job superseded by a newer one in its channel (another open) changes nothing: the newer
    // job is still running there. Only the open stopped by itself (Cancel) is undone here.
    if (m_jobs->isBusy(channel))
        return;
    if (channel == QLatin1String("weights") && weightsPending()) {
        const QString path = m_path;
        restoreFallback();
        emit openCancelled(path);
        return;
    }
    const bool reading = channel == QLatin1String("open") || channel == QLatin1String("plan");
    if (reading && m_loading && !weightsPending() && !m_jobs->isBusy(QStringLiteral("open")) &&
        !m_jobs->isBusy(QStringLiteral("plan"))) {
        m_loading = false; // the shown model stays
        emit loadingChanged(false);
        if (channel == QLatin1String("open"))
            emit openCancelled(QString());
    }
}

void Document::open(const QString& path)
{
    m_loading = true;
    emit loadingChanged(true);
    const std::filesystem::path file = path.toStdString();
    // The core readers close every HDF5 handle they opened, also when they throw (RAII in core/io).
    m_jobs->run(
        QStringLiteral("open"), tr("Opening %1").arg(QFileInfo(path).fileName()),
        [file](const ProgressFn& progress) {
            Loaded l;
            ModelFormat format = ModelFormat::Native;
            l.model = std::make_shared<const ModelSpec>(readModelArchitecture(file, &format, progress));
            l.format = formatText(format);
            return l;
        },
        this,
        [this, path](const Loaded& l) {
            adopt(l.model, path, l.format, QString(), false);
            loadWeights(path);
        },
        [this, path](const QString& reason) {
            m_loading = weightsPending(); // an earlier open whose weights are being read goes on
            emit loadingChanged(m_loading);
            emit openFailed(path, reason);
        });
}

void Document::loadWeights(const QString& path)
{
    const std::filesystem::path file = path.toStdString();
    m_jobs->run(
        QStringLiteral("weights"), tr("Loading the weights of %1").arg(QFileInfo(path).fileName()),
        [file](const ProgressFn& progress) {
            Loaded l;
            // A cancel (superseded, Cancel, close) kills the reader child at once (readModel).
            l.model = std::make_shared<const ModelSpec>(readModel(file, progress));
            l.format = formatText(detectModelFormat(file)); // known from readModel: no second read
            return l;
        },
        this, [this, path](const Loaded& l) { adoptWeights(l.model, path, l.format); },
        [this, path](const QString& reason) {
            restoreFallback();
            emit openFailed(path, reason);
        });
}

namespace {
// Whether `a` and `b` have the same layers (the file was not replaced between the two stages).
bool sameArchitecture(const ModelSpec& a, const ModelSpec& b)
{
    if (a.layers.size() != b.layers.size() || a.inputs != b.inputs || a.outputs != b.outputs)
        return false;
    for (std::size_t i = 0; i < a.layers.size(); ++i) {
        const LayerSpec &x = a.layers[i], &y = b.layers[i];
        if (x.name != y.name || x.kind != y.kind || x.inputs != y.inputs || x.outputShape != y.outputShape ||
            x.circulant.has_value() != y.circulant.has_value() || (x.circulant && x.circulant->k != y.circulant->k))
            return false;
    }
    return true;
}

// A layer the explorer can show (a weight matrix, stored or, before the weights, recorded).
bool showsMatrix(const LayerSpec& l)
{
    return hasWeightMatrix(l) || !storedWeightShape(l, l.kernel).empty();
}
} // namespace

void Document::adopt(std::shared_ptr<const ModelSpec> model, const QString& path, const QString& format,
                     const QString& derivation, bool weights)
{
    if (weights) {
        m_jobs->cancel(QStringLiteral("weights")); // a pending open is superseded
        releaseInBackground(std::shared_ptr<const void>(m_fallback ? m_fallback->model : nullptr));
        m_fallback.reset();
    } else if (!weightsPending()) {
        // The state a failure of this open returns to (while another open is pending, the
        // fallback stays the state before that one: a model without weights is never restored).
        m_fallback = Fallback{m_model, m_circulant, m_path, m_format, m_derivation, m_circulantLabel, m_layer};
    }
    m_loading = !weights;
    m_hasWeights = weights;
    m_model = std::move(model);
    m_path = QFileInfo(path).absoluteFilePath();
    m_format = format;
    m_derivation = derivation;
    m_layer = -1;
    m_projection.reset();
    m_blockRow = m_blockCol = -1;
    setCirculantModel(nullptr, {});
    emit loadingChanged(m_loading);
    emit modelChanged();
    if (weights)
        emit weightsLoaded();
    // Select the first layer with weights so the explorer shows something (unless a
    // modelChanged handler already chose one, e.g. --select-layer).
    for (std::size_t i = 0; i < m_model->layers.size() && m_layer < 0; ++i)
        if (showsMatrix(m_model->layers[i])) {
            selectLayer(static_cast<int>(i));
            break;
        }
}

void Document::adoptWeights(std::shared_ptr<const ModelSpec> model, const QString& path, const QString& format)
{
    if (!weightsPending() || !sameArchitecture(*m_model, *model)) {
        // The file changed between the two reads: the full model replaces whatever is shown.
        const int layer = m_layer;
        adopt(std::move(model), path, format, QString(), true);
        if (layer >= 0 && layer < static_cast<int>(m_model->layers.size()))
            selectLayer(layer);
        return;
    }
    releaseInBackground(std::shared_ptr<const void>(m_fallback ? m_fallback->model : nullptr));
    m_fallback.reset();
    m_model = std::move(model); // same layers, now with weights: selections stay
    m_format = format;
    m_hasWeights = true;
    m_loading = false;
    emit loadingChanged(false);
    emit weightsLoaded();
}

void Document::restoreFallback()
{
    if (weightsPending()) { // never leave a model without weights behind
        Fallback f = m_fallback ? std::move(*m_fallback) : Fallback{};
        m_fallback.reset();
        m_model = std::move(f.model);
        m_path = f.path;
        m_format = f.format;
        m_derivation = f.derivation;
        m_hasWeights = true;
        m_loading = false;
        m_layer = -1;
        m_projection.reset();
        m_blockRow = m_blockCol = -1;
        m_circulant = std::move(f.circulant);
        m_circulantLabel = f.circulantLabel;
        emit loadingChanged(false);
        emit modelChanged();
        if (m_model)
            emit weightsLoaded();
        emit circulantModelChanged();
        if (m_model && f.layer >= 0)
            selectLayer(f.layer);
        else {
            emit layerSelected(-1);
            emit projectionChanged();
        }
    }
}

void Document::applyPlan(const QString& modelFile, const ConversionRequest& request, const QString& description)
{
    m_loading = true;
    emit loadingChanged(true);
    const std::filesystem::path file = modelFile.toStdString();
    // The request's progress callbacks are not carried over to the worker (they may refer to the caller).
    ConversionRequest plan = request;
    plan.reorderProgress = {};
    m_jobs->run(
        QStringLiteral("plan"), tr("Applying %1").arg(description),
        [file, plan](const ProgressFn& progress) {
            ConversionRequest r = plan;
            r.reorderProgress = progress;
            Loaded l;
            l.model = std::make_shared<const ModelSpec>(convertModel(readModel(file), r).model);
            l.format = formatText(detectModelFormat(file));
            return l;
        },
        this,
        [this, modelFile, description](const Loaded& l) {
            adopt(l.model, modelFile, tr("%1, %2").arg(l.format, description), description, true);
        },
        [this, description](const QString& reason) {
            m_loading = weightsPending();
            emit loadingChanged(m_loading);
            emit planFailed(description, reason);
        });
}

void Document::reload()
{
    if (!m_path.isEmpty())
        open(m_path);
}

void Document::close()
{
    m_jobs->cancelAll();
    releaseInBackground(std::shared_ptr<const void>(m_fallback ? m_fallback->model : nullptr));
    m_fallback.reset();
    m_hasWeights = true;
    if (m_loading) {
        m_loading = false;
        emit loadingChanged(false);
    }
    m_model.reset();
    m_path.clear();
    m_derivation.clear();
    m_format.clear();
    m_layer = -1;
    m_projection.reset();
    m_blockRow = m_blockCol = -1;
    setCirculantModel(nullptr, {});
    emit modelChanged();
    emit layerSelected(-1);
    emit projectionChanged();
}

const LayerSpec* Document::selectedLayerSpec() const
{
    if (!m_model || m_layer < 0 || m_layer >= static_cast<int>(m_model->layers.size()))
        return nullptr;
    return &m_model->layers[static_cast<std::size_t>(m_layer)];
}

void Document::selectLayer(int index)
{
    if (!m_model || index >= static_cast<int>(m_model->layers.size()))
        index = -1;
    if (index == m_layer)
        return;
    m_layer = index;
    m_blockRow = m_blockCol = -1;
    emit layerSelected(index);
}

bool Document::selectLayer(const QString& name)
{
    if (!m_model)
        return false;
    const LayerSpec* l = m_model->find(name.toStdString());
    if (!l)
        return false;
    selectLayer(static_cast<int>(l - m_model->layers.data()));
    return true;
}

void Document::setProjection(std::shared_ptr<const LayerProjection> projection)
{
    std::shared_ptr<const void> previous = std::move(m_projection);
    m_projection = std::move(projection);
    releaseInBackground(std::move(previous));
    // (No `cond ? p->projection : MatrixProjection{}` here: that would copy the matrices.)
    const bool blocks = m_projection && m_projection->projection.k > 1;
    if (!blocks || m_blockRow >= m_projection->projection.blockRows || m_blockCol >= m_projection->projection.blockCols)
        m_blockRow = m_blockCol = -1;
    emit projectionChanged();
    if (m_blockRow < 0 && blocks)
        selectBlock(0, 0);
    else
        emit blockSelected(m_blockRow, m_blockCol);
}

void Document::selectBlock(std::int64_t i, std::int64_t j)
{
    if (!m_projection || m_projection->projection.k <= 1 || i < 0 || j < 0) {
        i = j = -1;
    } else { // stepping past the edge stays on the edge block
        i = std::min(i, m_projection->projection.blockRows - 1);
        j = std::min(j, m_projection->projection.blockCols - 1);
    }
    m_blockRow = i;
    m_blockCol = j;
    emit blockSelected(i, j);
}

QString Document::defaultDatasetPath()
{
    return QString::fromUtf8(build::sampleDir()) + QStringLiteral("/fashion_test_1k.h5");
}

void Document::openDataset(const QString& path)
{
    const std::filesystem::path file = path.toStdString();
    m_jobs->run(
        QStringLiteral("dataset"), tr("Reading %1").arg(QFileInfo(path).fileName()),
        [file](const ProgressFn&) { return std::make_shared<const Dataset>(readDataset(file)); }, this,
        [this, path](const std::shared_ptr<const Dataset>& data) {
            std::shared_ptr<const void> previous = std::move(m_dataset);
            m_dataset = data;
            m_datasetPath = QFileInfo(path).absoluteFilePath();
            releaseInBackground(std::move(previous));
            emit datasetChanged();
        },
        [this, path](const QString& reason) { emit datasetFailed(path, reason); });
}

void Document::setConversion(const ConversionRequest& request)
{
    m_conversion = request;
    m_conversion.reorderProgress = {};
    emit conversionChanged();
    setCirculantModel(nullptr, {});
}

void Document::setCirculantModel(std::shared_ptr<const ModelSpec> model, const QString& label)
{
    if (!model && !m_circulant)
        return;
    std::shared_ptr<const void> previous = std::move(m_circulant);
    m_circulant = std::move(model);
    m_circulantLabel = m_circulant ? label : QString();
    releaseInBackground(std::move(previous));
    emit circulantModelChanged();
}

} // namespace circnn::gui
