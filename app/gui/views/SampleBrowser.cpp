#include "SampleBrowser.h"

#include <QChart>
#include <QChartView>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPixmap>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

#include "Document.h"
#include "JobRunner.h"
#include "analysis/WorkflowSources.h"
#include "charts/ChartBuilders.h"
#include "charts/InferenceCharts.h"

namespace circnn::gui {

namespace {
constexpr int kTopK = 5;
constexpr int kImageSide = 140; // the image is scaled by the largest integer factor that fits

// Sample `index` of the data as read, laid out (H, W, C) as `imageShape` says: grey for one
// channel, RGB for three. Values in [0, 1] map to 0..255; other ranges are stretched over the
// sample's own min..max (display only). Null image when the samples are not images.
QImage sampleImage(const Dataset& raw, const Shape& imageShape, std::int64_t index)
{
    if (imageShape.size() != 3 || raw.count() == 0)
        return {};
    const std::int64_t h = imageShape[0], w = imageShape[1], c = imageShape[2];
    const std::int64_t per = raw.images.size() / raw.count();
    if (h * w * c != per || (c != 1 && c != 3))
        return {};
    const float* v = raw.images.data() + index * per;
    const auto [lo, hi] = std::minmax_element(v, v + per);
    const bool unit = *lo >= 0 && *hi <= 1;
    const float offset = unit ? 0 : *lo, range = unit ? 1 : std::max(*hi - *lo, 1e-12f);
    auto byte = [&](float x) { return static_cast<int>(std::clamp((x - offset) / range, 0.0f, 1.0f) * 255 + 0.5f); };
    QImage image(int(w), int(h), QImage::Format_RGB32);
    for (std::int64_t y = 0; y < h; ++y)
        for (std::int64_t x = 0; x < w; ++x) {
            const float* p = v + (y * w + x) * c;
            const int r = byte(p[0]), g = c == 3 ? byte(p[1]) : r, b = c == 3 ? byte(p[2]) : r;
            image.setPixel(int(x), int(y), qRgb(r, g, b));
        }
    return image;
}

// An empty chart whose title says why there is nothing to show.
void clearChart(QChartView* view, const QString& message)
{
    circnn::charts::showEmptyChart(view, message);
}
} // namespace

SampleBrowser::SampleBrowser(Document* document, QWidget* parent) : QWidget(parent), m_doc(document)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* bar = new QHBoxLayout;
    auto* prev = new QToolButton(this);
    prev->setText(tr("◀"));
    prev->setToolTip(tr("Previous sample"));
    auto* next = new QToolButton(this);
    next->setText(tr("▶"));
    next->setToolTip(tr("Next sample"));
    m_index = new QSpinBox(this);
    m_index->setObjectName("sampleIndex");
    m_index->setPrefix(tr("sample "));
    m_index->setKeyboardTracking(false);
    bar->addWidget(prev);
    bar->addWidget(m_index);
    bar->addWidget(next);
    bar->addStretch();
    layout->addLayout(bar);
    auto* top = new QHBoxLayout;
    m_image = new QLabel(this);
    m_image->setFixedSize(kImageSide, kImageSide);
    m_image->setAlignment(Qt::AlignCenter);
    m_image->setStyleSheet("background: black;");
    top->addWidget(m_image);
    auto* text = new QVBoxLayout;
    m_caption = new QLabel(this);
    m_caption->setWordWrap(true);
    m_caption->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_agreement = new QLabel(this);
    m_agreement->setWordWrap(true);
    text->addWidget(m_caption);
    text->addWidget(m_agreement);
    text->addStretch();
    top->addLayout(text, 1);
    layout->addLayout(top);
    auto* charts = new QHBoxLayout;
    m_modelChart = new QChartView(this);
    m_circChart = new QChartView(this);
    for (QChartView* v : {m_modelChart, m_circChart}) {
        v->setRenderHint(QPainter::Antialiasing);
        v->setMinimumSize(220, 140);
        charts->addWidget(v);
    }
    layout->addLayout(charts, 1);

    connect(prev, &QToolButton::clicked, this, [this] { showSample(m_index->value() - 1); });
    connect(next, &QToolButton::clicked, this, [this] { showSample(m_index->value() + 1); });
    connect(m_index, &QSpinBox::valueChanged, this, [this](int i) {
        if (i != m_shown.index)
            showSample(i);
    });
    auto restart = [this] {
        m_shown = {};
        showSample(std::max(0, m_index->value()));
    };
    connect(m_doc, &Document::modelChanged, this, restart);
    connect(m_doc, &Document::weightsLoaded, this, restart);
    connect(m_doc, &Document::datasetChanged, this, restart);
    connect(m_doc, &Document::circulantModelChanged, this, restart);
    clearCharts(tr("Open a model and a dataset."));
}

void SampleBrowser::refreshCache()
{
    if (m_cache.dense.spec != m_doc->model())
        m_cache.dense = {m_doc->model(), nullptr};
    if (m_cache.circulant.spec != m_doc->circulantModel())
        m_cache.circulant = {m_doc->circulantModel(), nullptr};
    if (m_cache.raw != m_doc->dataset() || !m_cache.dense.model) {
        m_cache.raw = m_doc->dataset();
        m_cache.fitted.reset(); // fitted to the model input: refitted when the model changes too
    }
}

void SampleBrowser::adoptPrepared(const std::shared_ptr<const ModelSpec>& spec,
                                  const std::shared_ptr<const Model>& model)
{
    refreshCache();
    if (spec && spec == m_cache.dense.spec && !m_cache.dense.model) {
        m_cache.dense.model = model;
        m_cache.fitted.reset();
    }
    if (spec && spec == m_cache.circulant.spec)
        m_cache.circulant.model = model;
}

void SampleBrowser::showSample(std::int64_t index)
{
    if (m_doc->weightsPending()) { // predictions need the weights (weightsLoaded restarts)
        clearCharts(tr("Loading weights…"));
        return;
    }
    refreshCache();
    if (!m_cache.dense.spec || !m_cache.raw || m_cache.raw->count() == 0) {
        clearCharts(m_cache.dense.spec ? tr("No dataset.") : tr("No model."));
        return;
    }
    const std::int64_t count = m_cache.raw->count();
    index = std::clamp<std::int64_t>(index, 0, count - 1);
    {
        const QSignalBlocker block(m_index);
        m_index->setRange(0, int(count - 1));
        m_index->setSuffix(tr(" of %1").arg(count));
        m_index->setValue(int(index));
    }
    m_doc->jobs()->run(
        QStringLiteral("sample"), tr("Predicting sample %1").arg(index),
        [cache = m_cache, index](const ProgressFn&) mutable {
            Prediction p;
            if (!cache.dense.model)
                cache.dense.model = std::make_shared<const Model>(*cache.dense.spec);
            if (cache.circulant.spec && !cache.circulant.model)
                cache.circulant.model = std::make_shared<const Model>(*cache.circulant.spec);
            if (!cache.fitted)
                cache.fitted =
                    loadDataSource(DataSource{{}, {}, cache.raw}, cache.dense.model->inputShape(), &cache.imageShape);
            p.shown.index = index;
            p.shown.label = cache.raw->labels.empty() ? -1 : cache.raw->labels[std::size_t(index)];
            p.shown.model = topClasses(classProbabilities(*cache.dense.model, *cache.fitted, index), kTopK);
            if (cache.circulant.model)
                p.shown.circulant = topClasses(classProbabilities(*cache.circulant.model, *cache.fitted, index), kTopK);
            p.image = sampleImage(*cache.raw, cache.imageShape, index);
            p.cache = std::move(cache);
            return p;
        },
        this, [this](const Prediction& p) { display(p); },
        [this](const QString& message) { clearCharts(tr("Cannot predict: %1").arg(message)); });
}

void SampleBrowser::display(const Prediction& p)
{
    // Keep what the job prepared when the document still shows the same model and data.
    if (p.cache.dense.spec == m_doc->model() && p.cache.raw == m_doc->dataset() &&
        p.cache.circulant.spec == m_doc->circulantModel())
        m_cache = p.cache;
    m_shown = p.shown;
    const QStringList names = charts::classNamesFor(QFileInfo(m_doc->datasetPath()).fileName(),
                                                    int(p.cache.dense.model->outputShape().back()));
    auto nameOf = [&](std::int32_t c) { return c >= 0 && c < names.size() ? names[c] : QString::number(c); };
    if (p.image.isNull()) {
        m_image->setText(tr("(not an image)"));
    } else {
        const int scale = std::max(1, kImageSide / std::max(p.image.width(), p.image.height()));
        m_image->setPixmap(
            QPixmap::fromImage(p.image.scaled(p.image.size() * scale, Qt::IgnoreAspectRatio, Qt::FastTransformation)));
    }
    m_caption->setText(tr("<b>Sample %1</b> of %2<br>label: <b>%3</b>")
                           .arg(p.shown.index)
                           .arg(QFileInfo(m_doc->datasetPath()).fileName().toHtmlEscaped(),
                                p.shown.label >= 0 ? nameOf(p.shown.label).toHtmlEscaped() : tr("none")));
    const std::int32_t top = p.shown.model.empty() ? -1 : p.shown.model.front().classIndex;
    auto mark = [&](std::int32_t c) { return c == p.shown.label ? tr("correct") : tr("wrong"); };
    circnn::charts::showChart(m_modelChart, charts::topClassesChart(p.shown.model, names, p.shown.label,
                                                                    tr("Model: %1 (%2)").arg(nameOf(top), mark(top))));
    if (p.shown.circulant.empty()) {
        clearChart(m_circChart, tr("No block-circulant model yet: Evaluate, or Project in the training view."));
        m_agreement->setText(QString());
    } else {
        const std::int32_t ctop = p.shown.circulant.front().classIndex;
        circnn::charts::showChart(
            m_circChart,
            charts::topClassesChart(p.shown.circulant, names, p.shown.label,
                                    tr("%1: %2 (%3)").arg(m_doc->circulantLabel(), nameOf(ctop), mark(ctop))));
        m_agreement->setText(
            ctop == top
                ? tr("<span style='color:#2e8b57'>✔ both models predict %1</span>").arg(nameOf(top).toHtmlEscaped())
                : tr("<span style='color:#c0392b'>✘ the models disagree: %1 vs %2</span>")
                      .arg(nameOf(top).toHtmlEscaped(), nameOf(ctop).toHtmlEscaped()));
    }
    emit sampleShown(p.shown.index);
}

void SampleBrowser::clearCharts(const QString& message)
{
    clearChart(m_modelChart, message);
    clearChart(m_circChart, QString());
    m_caption->setText(message);
    m_agreement->clear();
    m_image->clear();
}

} // namespace circnn::gui
