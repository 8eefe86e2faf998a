#pragma once

#include <QAbstractTableModel>
#include <QStringList>

#include <vector>

#include "analysis/SweepResult.h"

namespace circnn::gui {

// The sweep's points as a table: one row per finished point (appended as points finish, never
// reset while a sweep runs), columns for the point, its accuracy and compression, the measured
// latency, and frames/s and energy per frame for every platform (columns added when a platform
// first appears). Qt::DisplayRole is text; Qt::UserRole the number to sort by. The figure columns
// follow the points' SweepMetric: top-1 / Δ top-1 / top-5 / agreement for classifiers, MSE / Δ MSE /
// MAE / ROC AUC for reconstruction and regression models (headers from the first point).
class SweepTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    using QAbstractTableModel::QAbstractTableModel;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    void clear();
    void append(const SweepPointResult& point);
    const std::vector<SweepPointResult>& points() const { return m_points; }
    const SweepPointResult* pointAt(int row) const;
    int rowOfId(const std::string& id) const; // −1 when absent

    // Column indices of the fixed columns (Top1 .. Agreement: see the class comment).
    enum Column { Id, Mode, Blocks, Compression, Top1, Drop, Top5, Agreement, LatencyMs, FixedColumns };
    bool showsErrors() const; // the figure columns hold MSE / MAE / ROC AUC

private:
    std::vector<SweepPointResult> m_points;
    QStringList m_platforms;
};

} // namespace circnn::gui
