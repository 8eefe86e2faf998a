#pragma once

#include <QImage>
#include <QWidget>

#include <memory>
#include <vector>

#include "analysis/SamplePrediction.h"
#include "model/Dataset.h"
#include "model/ModelSpec.h"
#include "nn/Model.h"

class QChartView;
class QLabel;
class QSpinBox;

namespace circnn::gui {

class Document;

// Browses the document's dataset one sample at a time: the image (crisp, integer-scaled), its
// label, and the top-5 class probabilities of the document's model and of its block-circulant
// model side by side (core's classProbabilities / topClasses), with their agreement marked.
// Predictions run on the job runner (channel "sample", latest request wins); the prepared models
// and the dataset fitted to the model input are kept between samples.
class SampleBrowser : public QWidget {
    Q_OBJECT
public:
    explicit SampleBrowser(Document* document, QWidget* parent = nullptr);

    void showSample(std::int64_t index); // clamped to the dataset; asynchronous (sampleShown)
    // Models prepared elsewhere (the evaluation), so they need not be prepared again here.
    void adoptPrepared(const std::shared_ptr<const ModelSpec>& spec, const std::shared_ptr<const Model>& model);

    struct Shown {
        std::int64_t index = -1;
        std::int32_t label = -1;
        std::vector<ClassScore> model, circulant; // top-5; circulant empty without that model
    };
    const Shown& shown() const { return m_shown; }
    QLabel* imageLabel() const { return m_image; }
    QChartView* modelChart() const { return m_modelChart; }
    QChartView* circulantChart() const { return m_circChart; }
    QSpinBox* indexBox() const { return m_index; }

signals:
    void sampleShown(qint64 index);

private:
    struct Prepared {
        std::shared_ptr<const ModelSpec> spec;
        std::shared_ptr<const Model> model;
    };
    struct Cache {
        Prepared dense, circulant;
        std::shared_ptr<const Dataset> raw, fitted;
        Shape imageShape;
    };
    struct Prediction {
        Cache cache;
        Shown shown;
        QImage image;
    };
    void refreshCache();
    void display(const Prediction& p);
    void clearCharts(const QString& message);

    Document* m_doc;
    Cache m_cache;
    Shown m_shown;
    QSpinBox* m_index;
    QLabel *m_image, *m_caption, *m_agreement;
    QChartView *m_modelChart, *m_circChart;
};

} // namespace circnn::gui
