#pragma once

#include <QObject>
#include <QString>

#include <memory>

#include "analysis/BlockInspect.h"
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
// Models load on the job runner (channel "open"); a failed open keeps the current model.
// (Part 2 adds the prepared inference model and conversion results here.)
class Document : public QObject {
    Q_OBJECT
public:
    explicit Document(JobRunner* jobs, QObject* parent = nullptr);

    void open(const QString& path); // asynchronous: modelChanged or openFailed follows
    void reload();                  // re-reads path() (no-op without a model)
    void close();
    bool isLoading() const { return m_loading; }

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

signals:
    void loadingChanged(bool loading);
    void modelChanged(); // also after close() (model() null)
    void openFailed(const QString& path, const QString& reason);
    void layerSelected(int index);
    void projectionChanged();
    void blockSelected(qint64 i, qint64 j);

private:
    JobRunner* m_jobs;
    std::shared_ptr<const ModelSpec> m_model;
    QString m_path, m_format;
    bool m_loading = false;
    int m_layer = -1;
    std::shared_ptr<const LayerProjection> m_projection;
    std::int64_t m_blockRow = -1, m_blockCol = -1;
};

} // namespace circnn::gui
