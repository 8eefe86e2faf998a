#include "TrainingCharts.h"

#include <QChart>
#include <QChartView>
#include <QGraphicsLayout>
#include <QLineSeries>
#include <QValueAxis>

#include <algorithm>
#include <cmath>

namespace circnn::charts {

namespace {
QChart* curveChart(const QString& title, const QString& yTitle, QValueAxis*& x, QValueAxis*& y)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->setBackgroundRoundness(0);
    chart->legend()->setAlignment(Qt::AlignBottom);
    x = new QValueAxis;
    x->setTitleText(QObject::tr("epoch"));
    x->setLabelFormat(QStringLiteral("%.3g"));
    y = new QValueAxis;
    y->setTitleText(yTitle);
    y->setLabelFormat(QStringLiteral("%.3g"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    return chart;
}

QLineSeries* addSeries(QChart* chart, QValueAxis* x, QValueAxis* y, const QString& name, QColor colour, bool markers)
{
    auto* s = new QLineSeries;
    s->setName(name);
    QPen pen(colour);
    pen.setWidthF(markers ? 2.0 : 1.2);
    s->setPen(pen);
    s->setPointsVisible(markers);
    chart->addSeries(s);
    s->attachAxis(x);
    s->attachAxis(y);
    return s;
}

bool finite(const QPointF& p)
{
    return std::isfinite(p.x()) && std::isfinite(p.y());
}
} // namespace

TrainingCurves::TrainingCurves(QChartView* lossView, QChartView* accuracyView)
{
    // Short axis titles: they must fit beside a chart only ~120 px tall.
    m_loss = curveChart(QObject::tr("Loss"), QObject::tr("train loss"), m_lossX, m_lossY);
    m_valLossY = new QValueAxis;
    m_valLossY->setTitleText(QObject::tr("val. loss"));
    m_valLossY->setLabelFormat(QStringLiteral("%.3g"));
    m_loss->addAxis(m_valLossY, Qt::AlignRight);
    m_accuracy = curveChart(QObject::tr("Accuracy"), QObject::tr("accuracy (%)"), m_accX, m_accY);
    m_runLoss = addSeries(m_loss, m_lossX, m_lossY, QObject::tr("running loss"), QColor(150, 170, 210), false);
    m_trainLoss = addSeries(m_loss, m_lossX, m_lossY, QObject::tr("train loss"), QColor(40, 80, 170), true);
    m_valLoss = addSeries(m_loss, m_lossX, m_valLossY, QObject::tr("validation loss"), QColor(200, 90, 30), true);
    m_runAcc = addSeries(m_accuracy, m_accX, m_accY, QObject::tr("running accuracy"), QColor(150, 170, 210), false);
    m_trainAcc = addSeries(m_accuracy, m_accX, m_accY, QObject::tr("train accuracy"), QColor(40, 80, 170), true);
    m_valAcc = addSeries(m_accuracy, m_accX, m_accY, QObject::tr("validation accuracy"), QColor(200, 90, 30), true);
    lossView->setChart(m_loss);
    accuracyView->setChart(m_accuracy);
    reset(1, QString());
}

void TrainingCurves::reset(int epochs, const QString& title)
{
    for (QLineSeries* s : {m_runLoss, m_trainLoss, m_valLoss, m_runAcc, m_trainAcc, m_valAcc})
        s->clear();
    for (QValueAxis* x : {m_lossX, m_accX}) {
        x->setRange(0, std::max(1, epochs));
        x->setTickCount(std::clamp(epochs, 1, 10) + 1);
    }
    m_lossY->setRange(0, 1);
    m_valLossY->setRange(0, 1);
    m_accY->setRange(0, 100);
    m_loss->setTitle(title.isEmpty() ? QObject::tr("Loss") : QObject::tr("Loss — %1").arg(title));
    m_accuracy->setTitle(title.isEmpty() ? QObject::tr("Accuracy") : QObject::tr("Accuracy — %1").arg(title));
}

void TrainingCurves::widen(QValueAxis* axis, const QList<QPointF>& points)
{
    double hi = axis->max();
    for (const QPointF& p : points)
        hi = std::max(hi, p.y() * 1.1);
    if (hi > axis->max()) {
        axis->setRange(0, hi);
        axis->applyNiceNumbers(); // ticks at round values (0, 5, 10, …), not at 6.39, 12.8, …
    }
}

void TrainingCurves::appendBulk(QLineSeries* series, const QList<QPointF>& points)
{
    if (points.isEmpty())
        return;
    QList<QPointF> all = series->points();
    all += points;
    series->replace(all);
}

void TrainingCurves::appendSteps(const std::vector<TrainStatus>& statuses)
{
    QList<QPointF> loss, acc;
    for (const TrainStatus& s : statuses) {
        const double x = s.epoch - 1 + (s.batches > 0 ? double(s.batch) / double(s.batches) : 1.0);
        if (finite({x, s.loss}))
            loss << QPointF(x, s.loss);
        if (finite({x, s.accuracy}))
            acc << QPointF(x, 100 * s.accuracy);
        if (s.epochs > m_lossX->max()) {
            m_lossX->setMax(s.epochs);
            m_accX->setMax(s.epochs);
        }
    }
    widen(m_lossY, loss);
    appendBulk(m_runLoss, loss);
    appendBulk(m_runAcc, acc);
}

void TrainingCurves::appendEpochs(const std::vector<EpochRecord>& records)
{
    QList<QPointF> tl, vl, ta, va;
    for (const EpochRecord& r : records) {
        const double x = r.epoch;
        if (finite({x, r.trainLoss}))
            tl << QPointF(x, r.trainLoss);
        if (finite({x, r.valLoss}))
            vl << QPointF(x, r.valLoss);
        if (finite({x, r.trainAccuracy}))
            ta << QPointF(x, 100 * r.trainAccuracy);
        if (finite({x, r.valAccuracy}))
            va << QPointF(x, 100 * r.valAccuracy);
    }
    widen(m_lossY, tl);
    widen(m_valLossY, vl);
    appendBulk(m_trainLoss, tl);
    appendBulk(m_valLoss, vl);
    appendBulk(m_trainAcc, ta);
    appendBulk(m_valAcc, va);
}

QLineSeries* TrainingCurves::series(const QString& name) const
{
    for (QLineSeries* s : {m_runLoss, m_trainLoss, m_valLoss, m_runAcc, m_trainAcc, m_valAcc})
        if (s->name() == name)
            return s;
    return nullptr;
}

} // namespace circnn::charts
