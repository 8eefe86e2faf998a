#include "AutoPlanPanel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include "Document.h"
#include "JobRunner.h"
#include "SweepConfigForm.h"

namespace circnn::gui {

namespace {
const QString kChannel = QStringLiteral("autoplan");
}

AutoPlanPanel::AutoPlanPanel(Document* document, SweepConfigForm* form, QWidget* parent)
    : QWidget(parent), m_doc(document), m_form(form)
{
    auto* settings = new QFormLayout;
    m_budget = new QDoubleSpinBox;
    m_budget->setObjectName("autoplanBudget");
    m_budget->setRange(0, 100);
    m_budget->setDecimals(2);
    m_budget->setValue(1.0);
    m_budget->setSuffix(tr(" points"));
    m_budget->setToolTip(tr("Allowed top-1 drop below the dense model, in percentage points"));
    settings->addRow(tr("Accuracy budget"), m_budget);
    m_objective = new QComboBox;
    m_objective->addItem(tr("stored parameters"), "params");
    m_objective->addItem(tr("energy per frame (platform below)"), "energy");
    m_objective->addItem(tr("measured CPU latency"), "latency");
    settings->addRow(tr("Minimise"), m_objective);
    m_platform = new QLineEdit("xcku060");
    settings->addRow(tr("Platform"), m_platform);
    m_verifications = new QSpinBox;
    m_verifications->setRange(1, 100);
    m_verifications->setValue(4);
    m_verifications->setToolTip(tr("Candidates evaluated for real until one meets the budget"));
    settings->addRow(tr("Verifications"), m_verifications);
    auto* note = new QLabel(tr("Plans the first model with the first accuracy mode, the k list, data and "
                               "platforms of the sweep settings (a sensitivity sweep, a search, then "
                               "verification of the best candidates)."));
    note->setWordWrap(true);

    m_plan = new QPushButton(tr("Plan"));
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setEnabled(false);
    m_apply = new QPushButton(tr("Apply to the model"));
    m_apply->setEnabled(false);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_plan);
    buttons->addWidget(m_cancel);
    buttons->addWidget(m_apply);
    buttons->addStretch(1);
    m_summary = new QLabel;
    m_summary->setObjectName("autoplanSummary");
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_table = new QTableWidget(0, 2);
    m_table->setObjectName("autoplanTable");
    m_table->setHorizontalHeaderLabels({tr("layer"), tr("block size k (1 = dense)")});
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(settings);
    layout->addWidget(note);
    layout->addLayout(buttons);
    layout->addWidget(m_summary);
    layout->addWidget(m_table, 1);

    connect(m_plan, &QPushButton::clicked, this, &AutoPlanPanel::plan);
    connect(m_cancel, &QPushButton::clicked, this, [this] { m_doc->jobs()->cancel(kChannel); });
    connect(m_apply, &QPushButton::clicked, this, &AutoPlanPanel::apply);
    connect(m_doc->jobs(), &JobRunner::jobFinished, this, [this](const QString& channel) {
        if (channel == kChannel) {
            m_cancel->setEnabled(false);
            updateGate();
        }
    });
    connect(m_doc, &Document::modelChanged, this, &AutoPlanPanel::updateGate);
    connect(m_doc, &Document::weightsLoaded, this, &AutoPlanPanel::updateGate);
}

void AutoPlanPanel::updateGate()
{
    // Planning and applying wait for the open model's weights (as the sweep's Run does).
    const bool pending = m_doc->weightsPending();
    const bool planning = m_doc->jobs()->isBusy(kChannel);
    m_plan->setEnabled(!planning && !pending);
    m_apply->setEnabled(m_result.has_value() && !pending);
    if (pending && !planning)
        m_summary->setText(tr("Loading weights…"));
    else if (!pending && m_summary->text() == tr("Loading weights…"))
        m_summary->clear();
}

bool AutoPlanPanel::plan()
{
    if (m_doc->weightsPending())
        return false;
    AutoPlanConfig config;
    try {
        config.sweep = m_form->config();
        config.sweep.kind = SweepKind::Grid; // runAutoPlan runs its own sensitivity sweep
        config.sweep.models.resize(1);
        config.sweep.modes.resize(1);
        config.budgetPoints = m_budget->value();
        config.objective = parsePlanObjective(m_objective->currentData().toString().toStdString());
        config.platform = m_platform->text().trimmed().toStdString();
        config.maxVerifications = m_verifications->value();
    } catch (const std::exception& e) {
        m_summary->setText(tr("Cannot plan: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
    m_conversion = ConversionRequest{};
    m_conversion.convertOutputLayer = config.sweep.convertOutputLayer;
    m_conversion.reorderUnits = config.sweep.reorderUnits;
    m_conversion.reorderSeed = config.sweep.seed;
    m_plan->setEnabled(false);
    m_cancel->setEnabled(true);
    m_summary->setText(tr("Planning (sensitivity sweep, search, verification)…"));
    m_doc->jobs()->run(
        kChannel, tr("Automatic plan"),
        [config](const ProgressFn& progress) {
            SweepRunOptions options;
            options.progress = [progress](const SweepProgress& s) { return progress(s.done, s.total); };
            return runAutoPlan(config, options);
        },
        this,
        [this](const AutoPlanResult& r) {
            show(r);
            emit planned();
        },
        [this](const QString& message) { m_summary->setText(tr("Planning failed: %1").arg(message)); });
    return true;
}

void AutoPlanPanel::show(const AutoPlanResult& r)
{
    m_result = r;
    m_table->setRowCount(0);
    for (const std::string& layer : r.layers) {
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        m_table->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(layer)));
        const auto it = r.plan.find(layer);
        m_table->setItem(row, 1, new QTableWidgetItem(QString::number(it == r.plan.end() ? 1 : it->second)));
    }
    m_summary->setText(tr("%1\n\nDense top-1 %2 %; plan top-1 %3 % (%4), %5 = %6 (dense %7).")
                           .arg(QString::fromStdString(r.summary))
                           .arg(100 * r.denseTop1, 0, 'f', 2)
                           .arg(100 * r.planTop1, 0, 'f', 2)
                           .arg(r.verified ? tr("verified within the budget") : tr("not verified: all dense"))
                           .arg(QString::fromStdString(r.objective))
                           .arg(r.planObjective, 0, 'g', 4)
                           .arg(r.denseObjective, 0, 'g', 4));
    m_apply->setEnabled(true);
}

bool AutoPlanPanel::apply()
{
    if (!m_result || m_doc->weightsPending())
        return false;
    ConversionRequest request = m_conversion;
    request.perLayer = m_result->plan;
    m_doc->applyPlan(QString::fromStdString(m_result->model), request,
                     tr("automatic plan (budget %1 points)").arg(m_result->budgetPoints));
    return true;
}

} // namespace circnn::gui
