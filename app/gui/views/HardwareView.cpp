#include "HardwareView.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <exception>

#include "Document.h"
#include "JobRunner.h"
#include "analysis/EstimateWorkflow.h"
#include "charts/ChartBuilders.h"
#include "hw/Estimator.h"
#include "hw/PlatformRegistry.h"
#include "io/ConversionPlanFile.h"
#include "views/PlatformForm.h"

namespace circnn::gui {

namespace {
enum Column {
    Layer,
    Kind,
    K,
    DenseLatency,
    Latency,
    DenseEnergy,
    Energy,
    Compute,
    Onchip,
    Offchip,
    Static,
    Fit,
    BoundCol,
    Columns
};

QTableWidgetItem* numberItem(double v, double scale, int decimals)
{
    auto* item = new QTableWidgetItem(QString::number(v * scale, 'f', decimals));
    item->setData(Qt::UserRole, v); // raw value in SI units of the core (s, pJ)
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}

std::vector<std::int64_t> parseKs(const QString& text)
{
    std::vector<std::int64_t> ks;
    for (const QString& part : text.split(',', Qt::SkipEmptyParts)) {
        bool ok = false;
        const qlonglong k = part.trimmed().toLongLong(&ok);
        if (ok && k >= 1)
            ks.push_back(k);
    }
    return ks;
}
} // namespace

HardwareView::HardwareView(Document* document, QWidget* parent) : QWidget(parent), m_doc(document)
{
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->setObjectName("hardwareSplitter");
    layout->addWidget(m_splitter);

    // Left: configuration and the platform form.
    auto* left = new QWidget(m_splitter);
    auto* ll = new QVBoxLayout(left);
    ll->setContentsMargins(0, 0, 0, 0);
    auto* config = new QGroupBox(tr("Configuration"), left);
    auto* form = new QFormLayout(config);
    m_list = new QListWidget(config);
    m_list->setMaximumHeight(120);
    m_precision = new QComboBox(config);
    for (hw::Precision p : hw::kAllPrecisions)
        m_precision->addItem(QString::fromLatin1(hw::precisionKey(p)));
    m_precision->setCurrentIndex(1);
    m_batch = new QSpinBox(config);
    m_batch->setRange(1, 1 << 20);
    m_batch->setKeyboardTracking(false);
    m_ks = new QLineEdit(QStringLiteral("4, 8, 16, 64"), config);
    m_ks->setToolTip(
        tr("Default block sizes to compare with the dense design; layers stored block-circulant keep their k"));
    form->addRow(tr("Platforms"), m_list);
    form->addRow(tr("Precision"), m_precision);
    form->addRow(tr("Batch (frames)"), m_batch);
    form->addRow(tr("Block sizes k"), m_ks);
    auto* planRow = new QHBoxLayout;
    auto* planButton = new QPushButton(tr("Plan file…"), config);
    planButton->setToolTip(
        tr("A conversion plan ({\"default_k\": 8, \"layers\": {…}}) estimated as one more configuration"));
    auto* planClear = new QPushButton(tr("Clear"), config);
    m_planLabel = new QLabel(tr("none"), config);
    planRow->addWidget(planButton);
    planRow->addWidget(planClear);
    planRow->addWidget(m_planLabel, 1);
    form->addRow(tr("Plan"), planRow);
    connect(planButton, &QPushButton::clicked, this, [this] {
        const QString path =
            QFileDialog::getOpenFileName(this, tr("Conversion plan"), QString(), tr("Plan JSON (*.json)"));
        if (path.isEmpty())
            return;
        try {
            setPlanFile(path);
        } catch (const std::exception& e) {
            QMessageBox::warning(this, tr("Could not read plan"), QString::fromUtf8(e.what()));
        }
    });
    connect(planClear, &QPushButton::clicked, this, [this] {
        m_planPath.clear();
        m_planLabel->setText(tr("none"));
        requestEstimate();
    });
    ll->addWidget(config);
    auto* platformBox = new QGroupBox(tr("Selected platform (edit to re-estimate)"), left);
    auto* pl = new QVBoxLayout(platformBox);
    auto* buttons = new QHBoxLayout;
    auto* load = new QPushButton(tr("Load platform…"), platformBox);
    auto* save = new QPushButton(tr("Save platform as…"), platformBox);
    buttons->addWidget(load);
    buttons->addWidget(save);
    buttons->addStretch(1);
    pl->addLayout(buttons);
    m_form = new PlatformForm(platformBox);
    auto* scroll = new QScrollArea(platformBox);
    scroll->setWidget(m_form);
    scroll->setWidgetResizable(true);
    pl->addWidget(scroll, 1);
    ll->addWidget(platformBox, 1);

    // Right: results.
    auto* right = new QWidget(m_splitter);
    auto* rl = new QVBoxLayout(right);
    rl->setContentsMargins(0, 0, 0, 0);
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Per-layer table for:"), right));
    m_config = new QComboBox(right);
    m_config->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    top->addWidget(m_config);
    top->addStretch(1);
    rl->addLayout(top);
    m_summary = new QLabel(right);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    // Two lines reserved: a minimum that grows when the estimate arrives resizes the whole window.
    m_summary->setMinimumHeight(2 * m_summary->fontMetrics().lineSpacing() + 2);
    m_summary->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    rl->addWidget(m_summary);
    auto* rsplit = new QSplitter(Qt::Vertical, right);
    rsplit->setObjectName("hardwareResultsSplitter");
    m_table = new QTableWidget(0, Columns, rsplit);
    m_table->setObjectName("estimateTable");
    m_table->setHorizontalHeaderLabels({tr("Layer"), tr("Kind"), tr("k"), tr("Dense latency (µs)"), tr("Latency (µs)"),
                                        tr("Dense energy (µJ)"), tr("Energy (µJ)"), tr("Compute (µJ)"),
                                        tr("On-chip (µJ)"), tr("Off-chip (µJ)"), tr("Static (µJ)"),
                                        tr("Weights on chip"), tr("Bound")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->setAlternatingRowColors(true);
    // At least three rows beside the charts, never a row and a half (the main window's dock is
    // short): header, rows, horizontal scroll bar, frame.
    m_table->setMinimumHeight(m_table->horizontalHeader()->sizeHint().height() +
                              3 * m_table->verticalHeader()->defaultSectionSize() +
                              m_table->horizontalScrollBar()->sizeHint().height() + 2 * m_table->frameWidth());
    auto* chartRow = new QWidget(rsplit);
    auto* cl = new QHBoxLayout(chartRow);
    cl->setContentsMargins(0, 0, 0, 0);
    m_throughput = new QChartView(chartRow);
    m_energy = new QChartView(chartRow);
    for (QChartView* v : {m_throughput, m_energy}) {
        v->setRenderHint(QPainter::Antialiasing);
        v->setMinimumHeight(200);
        cl->addWidget(v);
    }
    charts::showEmptyChart(m_throughput);
    charts::showEmptyChart(m_energy);
    rsplit->setStretchFactor(0, 0); // the table keeps its three rows; the charts take what is left
    rsplit->setStretchFactor(1, 1);
    rl->addWidget(rsplit, 1);
    m_splitter->addWidget(left);
    m_splitter->addWidget(right);
    m_splitter->setStretchFactor(1, 3);
    m_splitter->setSizes({600, 900});

    for (const hw::Platform& p : hw::builtinPlatforms())
        addPlatform(p, p.name == "xcku060" || p.name == "asic-45nm");
    connect(m_list, &QListWidget::itemChanged, this, [this] { requestEstimate(); });
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row < static_cast<int>(m_platforms.size()))
            m_form->setPlatform(m_platforms[static_cast<std::size_t>(row)]);
    });
    for (int i = 0; i < m_list->count(); ++i)
        if (m_list->item(i)->checkState() == Qt::Checked) {
            m_list->setCurrentRow(i);
            break;
        }
    connect(m_form, &PlatformForm::platformEdited, this, [this](const hw::Platform& p) {
        const int row = m_list->currentRow();
        if (row < 0)
            return;
        m_platforms[static_cast<std::size_t>(row)] = p;
        m_list->item(row)->setText(QString::fromStdString(p.name) + tr(" (edited)"));
        requestEstimate();
    });
    connect(m_form, &PlatformForm::platformLoaded, this, [this](const hw::Platform& p) {
        addPlatform(p, true);
        const QSignalBlocker block(m_list);
        m_list->setCurrentRow(m_list->count() - 1);
        requestEstimate();
    });
    connect(load, &QPushButton::clicked, m_form, &PlatformForm::load);
    connect(save, &QPushButton::clicked, m_form, &PlatformForm::saveAs);
    // The configuration persists between sessions.
    QSettings settings;
    m_ks->setText(settings.value("hardware/blockSizes", m_ks->text()).toString());
    m_precision->setCurrentIndex(std::clamp(settings.value("hardware/precision", 1).toInt(), 0, 2));
    m_batch->setValue(settings.value("hardware/batch", 1).toInt());
    auto remember = [this] {
        QSettings s;
        s.setValue("hardware/blockSizes", m_ks->text());
        s.setValue("hardware/precision", m_precision->currentIndex());
        s.setValue("hardware/batch", m_batch->value());
    };
    connect(m_precision, &QComboBox::currentIndexChanged, this, remember);
    connect(m_batch, &QSpinBox::valueChanged, this, remember);
    connect(m_ks, &QLineEdit::editingFinished, this, remember);
    connect(m_precision, &QComboBox::currentIndexChanged, this, &HardwareView::requestEstimate);
    connect(m_batch, &QSpinBox::valueChanged, this, &HardwareView::requestEstimate);
    connect(m_ks, &QLineEdit::editingFinished, this, &HardwareView::requestEstimate);
    connect(m_config, &QComboBox::activated, this, &HardwareView::showResult);
    connect(m_doc, &Document::modelChanged, this, &HardwareView::requestEstimate);
}

void HardwareView::addPlatform(const hw::Platform& platform, bool checked)
{
    m_platforms.push_back(platform);
    auto* item = new QListWidgetItem(QString::fromStdString(platform.name), m_list);
    item->setToolTip(QString::fromStdString(platform.description));
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    const QSignalBlocker block(m_list);
    item->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
}

void HardwareView::setPlatformChecked(int index, bool checked)
{
    if (auto* item = m_list->item(index))
        item->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
}

void HardwareView::selectPlatform(int index)
{
    m_list->setCurrentRow(index);
}

void HardwareView::setPlanFile(const QString& path)
{
    m_plan = readConversionPlan(path.toStdString());
    m_planPath = path;
    m_planLabel->setText(QFileInfo(path).fileName());
    m_planLabel->setToolTip(path);
    requestEstimate();
}

void HardwareView::requestEstimate()
{
    const auto model = m_doc->model();
    if (!model) {
        m_results.clear();
        showResults();
        return;
    }
    std::vector<hw::Platform> chosen;
    for (int i = 0; i < m_list->count(); ++i)
        if (m_list->item(i)->checkState() == Qt::Checked)
            chosen.push_back(m_platforms[static_cast<std::size_t>(i)]);
    std::vector<std::int64_t> ks = parseKs(m_ks->text());
    if (ks.empty())
        ks.push_back(1);
    EstimateConfig config;
    config.model.model = model; // shared, not copied
    config.precision = hw::kAllPrecisions[static_cast<std::size_t>(m_precision->currentIndex())];
    config.batch = m_batch->value();
    const std::optional<ConversionPlan> plan = m_planPath.isEmpty() ? std::nullopt : std::optional(m_plan);
    m_summary->setText(tr("Estimating…"));
    // The core workflow (the one `circnn estimate` runs): per platform, one estimate per k, and
    // one of the plan file (listed as k = 0).
    m_doc->jobs()->run(
        QStringLiteral("estimate"), tr("Hardware estimates"),
        [config, chosen, ks, plan](const ProgressFn& progress) {
            std::vector<Result> results;
            std::size_t done = 0;
            const std::size_t total = chosen.size() * (ks.size() + (plan ? 1 : 0));
            for (const hw::Platform& p : chosen) {
                EstimateConfig c = config;
                c.platform = p;
                c.blockSizes = ks;
                c.progress = [&](std::size_t d, std::size_t) { return progress(done + d, total); };
                const EstimateResult r = estimateModel(c);
                for (std::size_t i = 0; i < ks.size(); ++i)
                    results.push_back({QString::fromStdString(p.name), ks[i], r.estimates.at(i)});
                done += ks.size();
                if (plan) {
                    c.blockSizes.clear();
                    c.plan = *plan;
                    results.push_back({QString::fromStdString(p.name), 0, estimateModel(c).estimates.at(0)});
                    ++done;
                }
            }
            return results;
        },
        this,
        [this](const std::vector<Result>& results) {
            m_results = results;
            showResults();
            emit estimatesUpdated();
        },
        [this](const QString& message) { m_summary->setText(tr("Estimate failed: %1").arg(message)); });
}

void HardwareView::showResults()
{
    const QString previous = m_config->currentText();
    m_config->clear();
    std::vector<charts::EstimatePoint> all, first;
    for (std::size_t i = 0; i < m_results.size(); ++i) {
        const Result& r = m_results[i];
        const QString config = r.k > 0 ? tr("k=%1").arg(r.k) : tr("plan");
        m_config->addItem(tr("%1 · %2").arg(r.platform, config));
        if (i == 0 || r.platform != m_results[i - 1].platform)
            all.push_back({r.platform, tr("dense"), r.estimate.dense});
        all.push_back({r.platform, config, r.estimate.circulant});
    }
    for (const auto& p : all)
        if (!m_results.empty() && p.platform == m_results.front().platform)
            first.push_back(p);
    charts::showChart(m_throughput,
                      charts::throughputChart(all, tr("Throughput (frames/s, batch %1)").arg(m_batch->value())));
    charts::showChart(
        m_energy,
        charts::energyChart(
            first, tr("Energy per frame — %1").arg(m_results.empty() ? QString() : m_results.front().platform)));
    const int keep = m_config->findText(previous);
    showResult(keep >= 0 ? keep : (m_results.empty() ? -1 : std::min<int>(1, static_cast<int>(m_results.size()) - 1)));
}

void HardwareView::showResult(int index)
{
    m_shown = index;
    if (index >= 0)
        m_config->setCurrentIndex(index);
    fillTable();
}

void HardwareView::fillTable()
{
    m_table->setRowCount(0);
    if (m_shown < 0 || m_shown >= static_cast<int>(m_results.size())) {
        m_summary->setText(m_doc->model() ? tr("Check at least one platform.") : tr("No model open."));
        return;
    }
    const hw::Estimate& e = m_results[static_cast<std::size_t>(m_shown)].estimate;
    const hw::DesignEstimate& d = e.dense;
    const hw::DesignEstimate& c = e.circulant;
    m_table->setRowCount(static_cast<int>(c.layers.size()) + 1);
    auto fillRow = [this](int row, const QString& name, const QString& kind, std::int64_t k, double denseLatency,
                          const hw::LayerEstimate* layer, const hw::DesignEstimate* design, double denseEnergy) {
        const double latency = layer ? layer->latencyS : design->latencyS;
        const hw::EnergyBreakdown& en = layer ? layer->energy : design->energy;
        m_table->setItem(row, Layer, new QTableWidgetItem(name));
        m_table->setItem(row, Kind, new QTableWidgetItem(kind));
        m_table->setItem(row, K, new QTableWidgetItem(k > 1 ? QString::number(k) : QString()));
        m_table->setItem(row, DenseLatency, numberItem(denseLatency, 1e6, 3));
        m_table->setItem(row, Latency, numberItem(latency, 1e6, 3));
        m_table->setItem(row, DenseEnergy, numberItem(denseEnergy, 1e-6, 4));
        m_table->setItem(row, Energy, numberItem(en.totalPj(), 1e-6, 4));
        m_table->setItem(row, Compute, numberItem(en.computePj, 1e-6, 4));
        m_table->setItem(row, Onchip, numberItem(en.onchipPj, 1e-6, 4));
        m_table->setItem(row, Offchip, numberItem(en.offchipPj, 1e-6, 4));
        m_table->setItem(row, Static, numberItem(en.staticPj, 1e-6, 4));
        const bool fit = layer ? layer->weightsOnChip : design->allWeightsOnChip;
        m_table->setItem(row, Fit, new QTableWidgetItem(fit ? tr("yes") : tr("no (streamed)")));
        m_table->setItem(row, BoundCol, new QTableWidgetItem(hw::boundName(layer ? layer->bound : design->bound)));
    };
    for (std::size_t i = 0; i < c.layers.size(); ++i) {
        const hw::LayerEstimate& l = c.layers[i];
        const hw::LayerEstimate& dl = d.layers[i];
        fillRow(static_cast<int>(i), QString::fromStdString(l.name), QString::fromStdString(l.kind), l.blockSize,
                dl.latencyS, &l, nullptr, dl.energy.totalPj());
        if (!l.note.empty())
            m_table->item(static_cast<int>(i), Layer)->setToolTip(QString::fromStdString(l.note));
    }
    const int total = static_cast<int>(c.layers.size());
    fillRow(total, tr("Total"), QString(), 0, d.latencyS, nullptr, &c, d.energy.totalPj());
    for (int col = 0; col < Columns; ++col)
        if (auto* item = m_table->item(total, col)) {
            QFont f = item->font();
            f.setBold(true);
            item->setFont(f);
        }
    m_table->resizeColumnsToContents();
    QString text = tr("<b>%1</b>, %2, batch %3: dense %4 frames/s, %5 µJ/frame · block-circulant %6 frames/s, "
                      "%7 µJ/frame · speed-up %8×, energy gain %9×, storage ÷%10")
                       .arg(QString::fromStdString(e.platform), hw::precisionKey(e.precision))
                       .arg(e.batch)
                       .arg(d.framesPerSecond, 0, 'g', 4)
                       .arg(d.energy.totalPj() * 1e-6, 0, 'g', 4)
                       .arg(c.framesPerSecond, 0, 'g', 4)
                       .arg(c.energy.totalPj() * 1e-6, 0, 'g', 4)
                       .arg(e.speedup, 0, 'f', 2)
                       .arg(e.energyEfficiencyGain, 0, 'f', 2)
                       .arg(e.storageReduction, 0, 'f', 1);
    text += tr("<br>Bound: %1 · weights on chip: %2 · estimates from the cost model in docs/hardware-model.md")
                .arg(hw::boundName(c.bound), c.allWeightsOnChip ? tr("all") : tr("not all (streamed per batch)"));
    for (const std::string& w : e.warnings)
        text += "<br><i>" + QString::fromStdString(w).toHtmlEscaped() + "</i>";
    m_summary->setText(text);
}

} // namespace circnn::gui
