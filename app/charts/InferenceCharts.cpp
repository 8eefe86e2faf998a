#include "InferenceCharts.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QGraphicsLayout>
#include <QHorizontalStackedBarSeries>
#include <QValueAxis>

namespace circnn::charts {

QStringList classNamesFor(const QString& datasetName, int count)
{
    static const QStringList kFashion{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                      "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    QStringList names;
    const bool fashion = datasetName.contains(QLatin1String("fashion"), Qt::CaseInsensitive) && count == 10;
    for (int c = 0; c < count; ++c)
        names << (fashion ? QStringLiteral("%1 %2").arg(c).arg(kFashion[c]) : QString::number(c));
    return names;
}

QChart* topClassesChart(const std::vector<ClassScore>& top, const QStringList& classNames, int trueClass,
                        const QString& title)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->setBackgroundRoundness(0);
    chart->legend()->setVisible(true);
    chart->legend()->setAlignment(Qt::AlignBottom);
    auto* truth = new QBarSet(QObject::tr("true class"));
    auto* other = new QBarSet(QObject::tr("other classes"));
    truth->setColor(QColor(46, 139, 87));
    other->setColor(QColor(70, 110, 190));
    QStringList categories;
    // Horizontal bars run bottom-up: append the lowest-ranked first so the top class is on top.
    for (auto it = top.rbegin(); it != top.rend(); ++it) {
        const bool isTrue = it->classIndex == trueClass;
        *truth << (isTrue ? it->probability : 0.0);
        *other << (isTrue ? 0.0 : it->probability);
        const QString name =
            it->classIndex < classNames.size() ? classNames[it->classIndex] : QString::number(it->classIndex);
        categories << QStringLiteral("%1  %2").arg(name).arg(double(it->probability), 0, 'f', 3);
    }
    auto* series = new QHorizontalStackedBarSeries;
    series->append(truth);
    series->append(other);
    chart->addSeries(series);
    auto* y = new QBarCategoryAxis;
    y->append(categories);
    auto* x = new QValueAxis;
    x->setRange(0, 1);
    x->setTickCount(6);
    x->setLabelFormat(QStringLiteral("%.1f"));
    x->setTitleText(QObject::tr("probability"));
    chart->addAxis(y, Qt::AlignLeft);
    chart->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    series->attachAxis(y);
    return chart;
}

} // namespace circnn::charts
