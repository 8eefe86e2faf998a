#include "PlanEditor.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include "Document.h"
#include "common/Error.h"
#include "io/ConversionPlanFile.h"
#include "model/ConversionRules.h"

namespace circnn::gui {

namespace {
enum Column { kLayer, kKind, kMatrix, kPlanK, kAfter, kColumns };

QTableWidgetItem* cellItem(const QString& text)
{
    auto* i = new QTableWidgetItem(text);
    i->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
    return i;
}
} // namespace

PlanEditor::PlanEditor(Document* document, QWidget* parent) : QWidget(parent), m_doc(document)
{
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* top = new QHBoxLayout;
    m_k = new QSpinBox(this);
    m_k->setObjectName("planDefaultK");
    m_k->setRange(0, 65536);
    m_k->setSpecialValueText(tr("none"));
    m_k->setPrefix(tr("k = "));
    m_k->setToolTip(tr("Block size for every eligible Dense / Conv2D layer (none: only the layers given below)"));
    m_output = new QCheckBox(tr("output layer too"), this);
    m_output->setToolTip(tr("--convert-output: the output layer stays dense unless this is set"));
    m_reorder = new QCheckBox(tr("reorder units"), this);
    m_reorder->setToolTip(
        tr("Reorder hidden units before projecting (function-preserving; --no-reorder turns it off)"));
    auto* load = new QPushButton(tr("Load plan…"), this);
    auto* save = new QPushButton(tr("Save plan…"), this);
    top->addWidget(m_k);
    top->addWidget(m_output);
    top->addWidget(m_reorder);
    top->addStretch();
    top->addWidget(load);
    top->addWidget(save);
    layout->addLayout(top);
    m_table = new QTableWidget(0, kColumns, this);
    m_table->setObjectName("planTable");
    m_table->setHorizontalHeaderLabels({tr("layer"), tr("class"), tr("matrix"), tr("k"), tr("after the plan")});
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(m_table, 1);
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);

    connect(m_k, &QSpinBox::valueChanged, this, &PlanEditor::commit);
    connect(m_output, &QCheckBox::toggled, this, &PlanEditor::commit);
    connect(m_reorder, &QCheckBox::toggled, this, &PlanEditor::commit);
    connect(load, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Load conversion plan"),
                                                          QSettings().value("lastPlanDirectory").toString(),
                                                          tr("Conversion plans (*.json);;All files (*)"));
        if (path.isEmpty())
            return;
        try {
            loadPlan(path);
        } catch (const std::exception& e) {
            QMessageBox::warning(this, tr("Could not load plan"), QString::fromStdString(e.what()));
        }
    });
    connect(save, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Save conversion plan"),
                                                          QSettings().value("lastPlanDirectory").toString(),
                                                          tr("Conversion plans (*.json)"));
        if (path.isEmpty())
            return;
        try {
            savePlan(path);
        } catch (const std::exception& e) {
            QMessageBox::warning(this, tr("Could not save plan"), QString::fromStdString(e.what()));
        }
    });
    connect(m_doc, &Document::modelChanged, this, &PlanEditor::rebuild);
    connect(m_doc, &Document::conversionChanged, this, &PlanEditor::showRequest);
    rebuild();
}

ConversionRequest PlanEditor::request() const
{
    ConversionRequest r;
    r.defaultBlockSize = m_k->value();
    r.convertOutputLayer = m_output->isChecked();
    r.reorderUnits = m_reorder->isChecked();
    for (int row = 0; row < m_table->rowCount(); ++row) {
        auto* combo = qobject_cast<QComboBox*>(m_table->cellWidget(row, kPlanK));
        if (combo && combo->currentData().toLongLong() > 0)
            r.perLayer[m_table->item(row, kLayer)->text().toStdString()] = combo->currentData().toLongLong();
    }
    return r;
}

void PlanEditor::rebuild()
{
    const QSignalBlocker block(m_table);
    m_table->setRowCount(0);
    const auto& model = m_doc->model();
    if (!model) {
        m_summary->setText(tr("No model."));
        return;
    }
    // Per-layer entries for layers this model does not have (a plan made for another model) go.
    ConversionRequest kept = m_doc->conversion();
    std::erase_if(kept.perLayer, [&](const auto& entry) { return !model->find(entry.first); });
    if (kept.perLayer.size() != m_doc->conversion().perLayer.size())
        m_doc->setConversion(kept);
    std::vector<BlockSizeDecision> decisions;
    try {
        decisions = decideBlockSizes(*model, ConversionPlan{});
    } catch (const std::exception& e) {
        m_summary->setText(QString::fromStdString(e.what()));
        return;
    }
    m_table->setRowCount(int(decisions.size()));
    for (int row = 0; row < int(decisions.size()); ++row) {
        const BlockSizeDecision& d = decisions[std::size_t(row)];
        m_table->setItem(row, kLayer, cellItem(QString::fromStdString(d.layer)));
        m_table->setItem(row, kKind, cellItem(d.kind == LayerKind::Conv2D ? "Conv2D" : "Dense"));
        m_table->setItem(row, kMatrix, cellItem(tr("%1 × %2").arg(d.rows).arg(d.cols)));
        auto* combo = new QComboBox(m_table);
        combo->addItem(tr("default"), qlonglong(0));
        combo->addItem(tr("dense"), qlonglong(1));
        for (std::int64_t k = 2; k <= std::max<std::int64_t>(2, std::min(d.rows, d.cols)); k *= 2)
            combo->addItem(QString::number(k), qlonglong(k));
        if (d.currentK > 1 && combo->findData(qlonglong(d.currentK)) < 0)
            combo->addItem(QString::number(d.currentK), qlonglong(d.currentK));
        combo->setToolTip(tr("k for this layer: default (the plan's k), dense, or a block size"));
        m_table->setCellWidget(row, kPlanK, combo);
        connect(combo, &QComboBox::currentIndexChanged, this, &PlanEditor::commit);
        m_table->setItem(row, kAfter, cellItem(QString()));
    }
    m_table->resizeColumnsToContents();
    showRequest();
}

void PlanEditor::showRequest()
{
    m_updating = true;
    const ConversionRequest& r = m_doc->conversion();
    m_k->setValue(int(r.defaultBlockSize));
    m_output->setChecked(r.convertOutputLayer);
    m_reorder->setChecked(r.reorderUnits);
    for (int row = 0; row < m_table->rowCount(); ++row) {
        auto* combo = qobject_cast<QComboBox*>(m_table->cellWidget(row, kPlanK));
        const auto it = r.perLayer.find(m_table->item(row, kLayer)->text().toStdString());
        const qlonglong k = it == r.perLayer.end() ? 0 : qlonglong(it->second);
        if (combo->findData(k) < 0)
            combo->addItem(QString::number(k), k);
        combo->setCurrentIndex(combo->findData(k));
    }
    m_updating = false;
    updateOutcome();
}

void PlanEditor::updateOutcome()
{
    const auto& model = m_doc->model();
    if (!model)
        return;
    try {
        const auto decisions = decideBlockSizes(*model, request());
        int converting = 0;
        for (int row = 0; row < m_table->rowCount() && row < int(decisions.size()); ++row) {
            const BlockSizeDecision& d = decisions[std::size_t(row)];
            converting += d.converts();
            const QString text = d.converts() ? tr("block-circulant, k = %1").arg(d.blockSize)
                                 : d.outcome == BlockSizeOutcome::AlreadyCirculant
                                     ? tr("block-circulant already, k = %1").arg(d.currentK)
                                     : tr("stays as it is: %1").arg(QString::fromStdString(d.reason));
            m_table->item(row, kAfter)->setText(text);
        }
        m_summary->setText(tr("The plan converts %n layer(s).", nullptr, converting));
    } catch (const std::exception& e) {
        m_summary->setText(tr("The plan does not fit the model: %1").arg(QString::fromStdString(e.what())));
    }
}

void PlanEditor::commit()
{
    if (m_updating)
        return;
    m_doc->setConversion(request()); // conversionChanged → showRequest → updateOutcome
}

void PlanEditor::setDefaultBlockSize(std::int64_t k)
{
    m_k->setValue(int(k));
}

void PlanEditor::setLayerBlockSize(const QString& layer, std::int64_t k)
{
    ConversionRequest r = request();
    if (k <= 0)
        r.perLayer.erase(layer.toStdString());
    else
        r.perLayer[layer.toStdString()] = k;
    m_doc->setConversion(r);
}

void PlanEditor::loadPlan(const QString& path)
{
    const ConversionPlan plan = readConversionPlan(path.toStdString());
    if (m_doc->model()) {
        try {
            checkPlanLayers(*m_doc->model(), plan.perLayer);
        } catch (const std::exception& e) {
            throw Error("conversion plan '" + path.toStdString() + "': " + e.what());
        }
    }
    ConversionRequest r;
    static_cast<ConversionPlan&>(r) = plan;
    r.reorderUnits = m_reorder->isChecked();
    QSettings().setValue("lastPlanDirectory", QFileInfo(path).path());
    m_doc->setConversion(r);
}

void PlanEditor::savePlan(const QString& path) const
{
    writeConversionPlan(request(), path.toStdString());
    QSettings().setValue("lastPlanDirectory", QFileInfo(path).path());
}

} // namespace circnn::gui
