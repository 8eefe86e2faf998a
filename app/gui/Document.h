#pragma once

#include <QObject>
#include <QString>

#include <memory>
#include <optional>

#include "analysis/BlockInspect.h"
#include "analysis/Conversion.h"
#include "model/Dataset.h"
#include "model/ModelSpec.h"

namespace circnn::gui {

class JobRunner;

// What the layer explorer currently shows, shared with the block inspector: the matrix of one
// layer (tap or all taps) and its projection at k.
struct LayerProjection {
    int layer = -1;
    std::int64_t tap = -1;                          // −1 = all taps tiled (Conv2D) / the matrix (Dense)
    std::shared_ptr<const WeightMatrixView> matrix; // the original (shared between projections)
    MatrixProjection projection;                    // at projection.k (k = 1: identity)
    float scale = 1;                                // colour scale: max |original|
    float residualScale = 1;                        // max |residual| (0 → 1)
};

// The open document: the model, where it came from, the selected layer and block, and the
// explorer's current projection. Views observe it through signals and never talk to each other.
//
// Opening is two-stage, both on the job runner: the architecture (core readModelArchitecture,
// channel "open": no weight values, a short read) → modelChanged, with model() holding layers,
// shapes and recorded weight shapes but no weights (weightsPending() true) — enough for the layer
// table and the hardware estimates; then the weights (readModel, channel "weights") →
// weightsLoaded, with model() the full model. Views that need weights (explorer, statistics,
// histogram, block inspector, inference, training) show "loading weights…" and disable their
// actions while weightsPending(), and start their work on weightsLoaded. A failure in either stage
// emits openFailed and leaves the last fully loaded model (or none) as it was — never a model
// without weights; a cancel (Cancel button) does the same and emits openCancelled. A cancelled
// weights read kills its isolated reader child at once. Opening another file while the weights of
// one load: its weights job is cancelled once the new file's architecture has been read (if that
// read fails, the pending open completes).
class Document : public QObject {
    Q_OBJECT
public:
    explicit Document(JobRunner* jobs, QObject* parent = nullptr);

    void open(const QString& path); // asynchronous: modelChanged and weightsLoaded, or openFailed
    void reload();                  // re-reads path() (no-op without a model)
    void close();
    bool isLoading() const { return m_loading; } // from open() until the weights are in or it failed
    // A model is shown whose weights are still being read (model() has weightsLoaded false).
    bool weightsPending() const { return m_model && !m_hasWeights; }
    // Shows `modelFile` converted by `request` (a sweep point's configuration, an automatic plan)
    // in place of the open model, so every view shows that configuration. Asynchronous (channel
    // "plan"): modelChanged follows, or planFailed. path() becomes modelFile; derivation() says
    // what was applied ("" for a model opened as it is).
    void applyPlan(const QString& modelFile, const ConversionRequest& request, const QString& description);
    QString derivation() const { return m_derivation; }

    const std::shared_ptr<const ModelSpec>& model() const { return m_model; }
    QString path() const { return m_path; }
    QString formatName() const { return m_format; }

    int selectedLayer() const { return m_layer; }
    const LayerSpec* selectedLayerSpec() const;
    void selectLayer(int index);           // −1 = none; emits layerSelected when it changes
    bool selectLayer(const QString& name); // false if the model has no such layer

    const std::shared_ptr<const LayerProjection>& projection() const { return m_projection; }
    void setProjection(std::shared_ptr<const LayerProjection> projection);

    // Selected block (i, j) of the current projection; (−1, −1) = none. Indices past the grid are
    // clamped to its last block row / column; a negative index clears the selection.
    std::int64_t blockRow() const { return m_blockRow; }
    std::int64_t blockCol() const { return m_blockCol; }
    void selectBlock(std::int64_t i, std::int64_t j);

    JobRunner* jobs() const { return m_jobs; }

    // ---- Inference and training (views/InferenceView, views/TrainingView) ----
    // The labelled dataset the inference and training views use, as read (not yet fitted to the
    // model input). openDataset reads on the job runner (channel "dataset"); datasetChanged or
    // datasetFailed follows. The bundled sample set is the default (defaultDatasetPath()).
    const std::shared_ptr<const Dataset>& dataset() const { return m_dataset; }
    QString datasetPath() const { return m_datasetPath; }
    void openDataset(const QString& path);
    static QString defaultDatasetPath();
    // The conversion plan (k globally or per layer, reordering) that defines the block-circulant
    // model; k = 8 with reordering by default, as the command line. Setting it drops the current
    // block-circulant model (it was made with another plan).
    const ConversionRequest& conversion() const { return m_conversion; }
    void setConversion(const ConversionRequest& request);
    // The block-circulant model compared with model(): the projection made with conversion(), or
    // a fine-tuning result; null until one was made. Cleared when another model opens.
    const std::shared_ptr<const ModelSpec>& circulantModel() const { return m_circulant; }
    QString circulantLabel() const { return m_circulantLabel; } // e.g. "projection k=8", "fine-tuned"
    void setCirculantModel(std::shared_ptr<const ModelSpec> model, const QString& label);

signals:
    void loadingChanged(bool loading);
    void modelChanged(); // also after close() (model() null)
    // model() holds its weights now: after the weights stage of an open, after a full model was
    // adopted (applyPlan) and after a failed open restored the previous model (each after modelChanged).
    void weightsLoaded();
    void openFailed(const QString& path, const QString& reason);
    // An open stopped by a cancel (the Cancel button, not another open): the last fully loaded
    // model is back, as after a failure; `path` is the file whose weights were being read, empty
    // when the architecture read was stopped.
    void openCancelled(const QString& path);
    void planFailed(const QString& description, const QString& reason);
    void layerSelected(int index);
    void projectionChanged();
    void blockSelected(qint64 i, qint64 j);
    void datasetChanged();
    void datasetFailed(const QString& path, const QString& reason);
    void conversionChanged();
    void circulantModelChanged(); // also when cleared

private:
    // What a failed two-stage open returns to: the last fully loaded model and its selections.
    struct Fallback {
        std::shared_ptr<const ModelSpec> model, circulant;
        QString path, format, derivation, circulantLabel;
        int layer = -1;
    };
    // `weights` false: the architecture stage of an open (the weights follow).
    void adopt(std::shared_ptr<const ModelSpec> model, const QString& path, const QString& format,
               const QString& derivation, bool weights);
    void loadWeights(const QString& path);
    void adoptWeights(std::shared_ptr<const ModelSpec> model, const QString& path, const QString& format);
    void restoreFallback(); // while weightsPending(): back to the fallback (or no model)
    void onJobCancelled(const QString& channel);

    JobRunner* m_jobs;
    std::shared_ptr<const ModelSpec> m_model;
    QString m_path, m_format, m_derivation;
    bool m_loading = false;
    bool m_hasWeights = true;           // false while the weights of m_model are read
    std::optional<Fallback> m_fallback; // set while an open is between its two stages
    int m_layer = -1;
    std::shared_ptr<const LayerProjection> m_projection;
    std::int64_t m_blockRow = -1, m_blockCol = -1;
    std::shared_ptr<const Dataset> m_dataset;
    QString m_datasetPath;
    ConversionRequest m_conversion;
    std::shared_ptr<const ModelSpec> m_circulant;
    QString m_circulantLabel;
};

} // namespace circnn::gui
