#pragma once

#include <QWidget>

#include "analysis/Conversion.h"

class QCheckBox;
class QLabel;
class QSpinBox;
class QTableWidget;

namespace circnn::gui {

class Document;

// The conversion plan of the document, edited over the model's Dense / Conv2D layers: k for every
// eligible layer (0 = only the listed ones), a per-layer k ("default", "dense" or a block size),
// whether the output layer converts and whether hidden units are reordered first; what the plan
// does to each layer (core's decideBlockSizes: the k after, or why the layer stays dense). Plans
// load from and save to the JSON plan files of `circnn convert --plan` (io/ConversionPlanFile).
// Every edit sets the document's plan (Document::setConversion).
class PlanEditor : public QWidget {
    Q_OBJECT
public:
    explicit PlanEditor(Document* document, QWidget* parent = nullptr);

    ConversionRequest request() const;
    void setDefaultBlockSize(std::int64_t k);
    // k for one layer: 0 removes the entry (the default applies), 1 keeps it dense.
    void setLayerBlockSize(const QString& layer, std::int64_t k);
    // Throw Error naming the file (unreadable, malformed, or a layer the model does not have).
    void loadPlan(const QString& path);
    void savePlan(const QString& path) const;

    QTableWidget* table() const { return m_table; }
    QLabel* summary() const { return m_summary; }

private:
    void rebuild();       // rows for the model's layers
    void showRequest();   // widgets ← document's plan
    void updateOutcome(); // the outcome column and summary
    void commit();        // document's plan ← widgets

    Document* m_doc;
    QSpinBox* m_k;
    QCheckBox *m_output, *m_reorder;
    QTableWidget* m_table;
    QLabel* m_summary;
    bool m_updating = false;
};

} // namespace circnn::gui
