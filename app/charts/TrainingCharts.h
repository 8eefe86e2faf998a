#pragma once
// Live charts of a training run (the training view): loss and accuracy against the epoch (steps as
// fractional epochs), for the running means during each epoch and the train / validation figures at
// its end. The training loss (with distillation, (1 − α)·CE + α·T²·soft CE) and the validation
// loss (plain cross-entropy) differ in scale, so they have axes of their own (left / right).
// Points arrive in batches (the training view drains its feed every 100 ms) and each batch
// reaches a series in one bulk QXYSeries::replace (its points so far plus the batch): one
// geometry update per series and batch. QXYSeries::append of a list is no bulk operation in Qt
// 6.4 — it appends point by point, and every point re-lays out the whole line (measured: 70 ms of
// GUI-thread CPU for one 100 ms batch at the end of a run). The axes widen as needed.

#include <QList>
#include <QPointF>
#include <QString>

#include <vector>

#include "model/ModelSpec.h"
#include "nn/training/Trainer.h"

class QChart;
class QChartView;
class QLineSeries;
class QValueAxis;

namespace circnn::charts {

class TrainingCurves {
public:
    // Shows the two charts in the views (which own them).
    TrainingCurves(QChartView* lossView, QChartView* accuracyView);

    // Empties every series for a run of `epochs` epochs (the x range).
    void reset(int epochs, const QString& title);
    // Running means after mini-batches (x = epoch − 1 + batch / batches).
    void appendSteps(const std::vector<TrainStatus>& statuses);
    // End-of-epoch records (x = epoch): train and validation loss and accuracy.
    void appendEpochs(const std::vector<EpochRecord>& records);

    // Series names: "running loss", "train loss", "validation loss", "running accuracy",
    // "train accuracy", "validation accuracy".
    QLineSeries* series(const QString& name) const;
    QChart* lossChart() const { return m_loss; }
    QChart* accuracyChart() const { return m_accuracy; }

private:
    static void widen(QValueAxis* axis, const QList<QPointF>& points);
    // Appends `points` to `series` as one bulk replace (nothing when `points` is empty).
    static void appendBulk(QLineSeries* series, const QList<QPointF>& points);

    QChart *m_loss, *m_accuracy;
    QValueAxis *m_lossX, *m_lossY, *m_valLossY, *m_accX, *m_accY;
    QLineSeries *m_runLoss, *m_trainLoss, *m_valLoss, *m_runAcc, *m_trainAcc, *m_valAcc;
};

} // namespace circnn::charts
