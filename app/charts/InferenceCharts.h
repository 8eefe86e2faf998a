#pragma once
// Charts of the inference view: a sample's top classes as horizontal bars (the true class in its
// own colour), and class names for the datasets the app knows. Values come from core
// (analysis/SamplePrediction.h); nothing is computed here.

#include <QString>
#include <QStringList>

#include <vector>

#include "analysis/SamplePrediction.h"

class QChart;

namespace circnn::charts {

// Display names of `count` classes: the Fashion-MNIST names when the dataset name says so,
// else "0", "1", ...
QStringList classNamesFor(const QString& datasetName, int count);

// The top classes (highest first, drawn top to bottom; the category names carry the probability)
// on a 0..1 axis.
// Bar sets: "true class" (the bar of `trueClass`, if among them) and "other classes".
QChart* topClassesChart(const std::vector<ClassScore>& top, const QStringList& classNames, int trueClass,
                        const QString& title);

} // namespace circnn::charts
