#pragma once

#include <QWidget>

#include <optional>

#include "analysis/AutoPlan.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace circnn::gui {

class Document;
class SweepConfigForm;

// The automatic plan (core runAutoPlan): under an accuracy budget (points below dense) and an
// objective (stored parameters, energy per frame on a platform, measured latency), a block size
// per layer, for the first model and mode of the sweep settings. Runs on the job runner (channel
// "autoplan") with progress and cancel; shows the plan, its verified accuracy and how far the
// search went; "Apply" shows the planned model in the document (Document::applyPlan).
class AutoPlanPanel : public QWidget {
    Q_OBJECT
public:
    AutoPlanPanel(Document* document, SweepConfigForm* form, QWidget* parent = nullptr);

    // Starts planning; false (and a message) when the settings are invalid, false while the
    // document's weights load (Plan and Apply are off then, "Loading weights…").
    bool plan();
    bool apply(); // false without a plan or while weights load
    const std::optional<AutoPlanResult>& result() const { return m_result; }
    QDoubleSpinBox* budget() const { return m_budget; }
    QTableWidget* table() const { return m_table; }

signals:
    void planned();

private:
    void show(const AutoPlanResult& result);
    void updateGate();

    Document* m_doc;
    SweepConfigForm* m_form;
    QDoubleSpinBox* m_budget;
    QComboBox* m_objective;
    QLineEdit* m_platform;
    QSpinBox* m_verifications;
    QPushButton* m_plan;
    QPushButton* m_cancel;
    QPushButton* m_apply;
    QLabel* m_summary;
    QTableWidget* m_table;
    std::optional<AutoPlanResult> m_result;
    ConversionRequest m_conversion; // the sweep settings' output-layer rule and reordering
};

} // namespace circnn::gui
