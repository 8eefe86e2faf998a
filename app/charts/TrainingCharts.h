#pragma once
// Live charts of a training run (the training view): loss and accuracy against the epoch (steps as
// fractional epochs), for the running means during each epoch and the train / validation figures at
// its end. The training loss (with distillation, (1 − α)·CE + α·T²·soft CE) and the validation
// loss (plain cross-entropy) differ in scale, so they have axes of their own (left / right).
// Points are appended in bulk to the existing series (QXYSeries::append of a list) and the
// axes widen as needed; a series is never rebuilt for a new point.

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

    QChart *m_loss, *m_accuracy;
    QValueAxis *m_lossX, *m_lossY, *m_valLossY, *m_accX, *m_accY;
    QLineSeries *m_runLoss, *m_trainLoss, *m_valLoss, *m_runAcc, *m_trainAcc, *m_valAcc;
};

} // namespace circnn::charts
