#include "SweepConfigForm.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include "BuildInfo.h"
#include "common/Error.h"

namespace circnn::gui {

namespace {
constexpr AccuracyMode kModes[] = {AccuracyMode::Project, AccuracyMode::DataAware, AccuracyMode::Finetune,
                                   AccuracyMode::Scratch};

QStringList splitList(const QString& text, QChar sep)
{
    QStringList out;
    for (const QString& part : text.split(sep, Qt::SkipEmptyParts))
        if (!part.trimmed().isEmpty())
            out << part.trimmed();
    return out;
}

std::vector<std::int64_t> blockSizes(const QString& text, const QString& what)
{
    std::vector<std::int64_t> out;
    for (const QString& k : splitList(text, ',')) {
        bool ok = false;
        const qlonglong v = k.toLongLong(&ok);
        if (!ok || v < 1)
            throw Error(what.toStdString() + ": '" + k.toStdString() + "' is not a block size (an integer ≥ 1)");
        out.push_back(v);
    }
    return out;
}

QString joinInts(const std::vector<std::int64_t>& v)
{
    QStringList s;
    for (std::int64_t k : v)
        s << QString::number(k);
    return s.join(',');
}

QStringList toQt(const std::vector<std::string>& v)
{
    QStringList s;
    for (const std::string& x : v)
        s << QString::fromStdString(x);
    return s;
}
} // namespace

SweepConfigForm::SweepConfigForm(QWidget* parent) : QWidget(parent)
{
    auto* form = new QFormLayout(this);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    addLine(form, tr("Models"), "models", tr("Model files separated by ';' (the open model by default)"), true);
    m_kind = new QComboBox;
    m_kind->addItems({tr("grid (global k list or per-layer grid)"), tr("sensitivity (one layer at a time)")});
    form->addRow(tr("Kind"), m_kind);
    addLine(form, tr("k list"), "k", tr("Block sizes, e.g. 1,2,4,8,16 (1 = dense)"), false)->setText("1,2,4,8,16");
    addLine(form, tr("Per-layer grid"), "grid",
            tr("Instead of the k list: LAYER:K,K;LAYER:K (cartesian product), e.g. dense:4,8;dense_1:8,16"), false);
    addLine(form, tr("Layers"), "layers", tr("Layers to convert, separated by ',' (empty = every eligible layer)"),
            false);
    auto* modes = new QWidget;
    auto* modesRow = new QHBoxLayout(modes);
    modesRow->setContentsMargins(0, 0, 0, 0);
    for (int i = 0; i < 4; ++i) {
        m_modes[i] = new QCheckBox(QString::fromLatin1(accuracyModeName(kModes[i])));
        m_modes[i]->setObjectName(QStringLiteral("mode_") + accuracyModeName(kModes[i]));
        modesRow->addWidget(m_modes[i]);
    }
    m_modes[0]->setChecked(true);
    modes->setToolTip(tr("project: Frobenius projection; data: data-aware projection (needs training data); "
                         "finetune: projection + fine-tuning; scratch: trained from a random start"));
    form->addRow(tr("Accuracy modes"), modes);
    addSpin(form, tr("Epochs"), "epochs", 1, 1000, 1, tr("finetune / scratch epochs"));
    QString sample = QString::fromUtf8(build::sampleDir()) + QStringLiteral("/fashion_test_1k.h5");
    addLine(form, tr("Evaluation data"), "data", tr("IDX, HDF5 or .npz dataset"), true)->setText(sample);
    addLine(form, tr("Labels"), "labels", tr("Separate labels file (IDX pairs are found automatically)"), true);
    addSpin(form, tr("Evaluation limit"), "evalLimit", 0, 100000000, 0, tr("first N samples (0 = all)"));
    addLine(form, tr("Training data"), "trainData", tr("For data / finetune / scratch"), true);
    addSpin(form, tr("Training limit"), "trainLimit", 0, 100000000, 0, tr("first N samples (0 = all)"));
    addSpin(form, tr("Calibration samples"), "calibration", 1, 100000000, 2000, tr("data-aware projection"));
    addLine(form, tr("Platforms"), "platforms", tr("Names or platform JSON files, ',' separated; 'all' = every preset"),
            false)
        ->setText("xcku060,asic-45nm,cortex-a72");
    m_precision = new QComboBox;
    m_precision->setObjectName("precision");
    m_precision->addItems({"fixed16", "fixed8", "float32"});
    form->addRow(tr("Precision"), m_precision);
    addSpin(form, tr("Batch"), "batch", 1, 1000000, 1, tr("frames per batch for the hardware estimates"));
    addSpin(form, tr("Timing samples"), "timingSamples", 0, 100000, 64,
            tr("samples timed on this machine for the measured latency (0 = no timing)"));
    addSpin(form, tr("Seed"), "seed", 0, 1000000000, 1, tr("training, validation split, reordering"));
    m_reorder = new QCheckBox(tr("reorder hidden units before projecting"));
    m_reorder->setChecked(true);
    form->addRow(QString(), m_reorder);
    m_outputLayer = new QCheckBox(tr("convert the output layer too"));
    form->addRow(QString(), m_outputLayer);
    addLine(form, tr("Results file"), "results", tr("JSON Lines; every finished point is appended at once"), true,
            true);
    m_parallel = new QComboBox;
    m_parallel->addItems({tr("points in parallel"), tr("one point at a time, all cores inside")});
    form->addRow(tr("Parallelism"), m_parallel);
}

QLineEdit* SweepConfigForm::addLine(QFormLayout* form, const QString& label, const char* name, const QString& tip,
                                    bool browse, bool save)
{
    auto* edit = new QLineEdit;
    edit->setObjectName(name);
    edit->setToolTip(tip);
    edit->setPlaceholderText(tip);
    if (!browse) {
        form->addRow(label, edit);
        return edit;
    }
    auto* row = new QWidget;
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    h->addWidget(edit, 1);
    auto* button = new QPushButton(tr("…"));
    button->setToolTip(tr("Choose a file"));
    button->setMaximumWidth(32);
    h->addWidget(button);
    connect(button, &QPushButton::clicked, this, [this, edit, label, save] {
        const QString path =
            save ? QFileDialog::getSaveFileName(this, label, edit->text(), tr("Sweep results (*.jsonl);;All files (*)"))
                 : QFileDialog::getOpenFileName(this, label, edit->text());
        if (!path.isEmpty())
            edit->setText(path);
    });
    form->addRow(label, row);
    return edit;
}

QSpinBox* SweepConfigForm::addSpin(QFormLayout* form, const QString& label, const char* name, int lo, int hi, int value,
                                   const QString& tip)
{
    auto* spin = new QSpinBox;
    spin->setObjectName(name);
    spin->setRange(lo, hi);
    spin->setValue(value);
    spin->setToolTip(tip);
    form->addRow(label, spin);
    return spin;
}

QLineEdit* SweepConfigForm::field(const char* objectName) const
{
    return findChild<QLineEdit*>(objectName);
}

QSpinBox* SweepConfigForm::spin(const char* objectName) const
{
    return findChild<QSpinBox*>(objectName);
}

QCheckBox* SweepConfigForm::modeBox(AccuracyMode mode) const
{
    for (int i = 0; i < 4; ++i)
        if (kModes[i] == mode)
            return m_modes[i];
    return nullptr;
}

void SweepConfigForm::setCurrentModel(const QString& path)
{
    QLineEdit* models = field("models");
    if (models->text().isEmpty() || models->text() == m_currentModel)
        models->setText(path);
    m_currentModel = path;
}

QString SweepConfigForm::resultsFile() const
{
    return field("results")->text().trimmed();
}

void SweepConfigForm::setResultsFile(const QString& path)
{
    field("results")->setText(path);
}

SweepParallelism SweepConfigForm::parallelism() const
{
    return m_parallel->currentIndex() == 0 ? SweepParallelism::Points : SweepParallelism::Inside;
}

SweepConfig SweepConfigForm::config() const
{
    SweepConfig c;
    c.kind = m_kind->currentIndex() == 0 ? SweepKind::Grid : SweepKind::Sensitivity;
    for (const QString& m : splitList(field("models")->text(), ';'))
        c.models.push_back(m.toStdString());
    if (c.models.empty())
        throw Error("Models: no model to sweep (open a model or name model files)");
    c.blockSizes = blockSizes(field("k")->text(), tr("k list"));
    for (const QString& entry : splitList(field("grid")->text(), ';')) {
        const qsizetype colon = entry.indexOf(':');
        if (colon <= 0)
            throw Error("Per-layer grid: entry '" + entry.toStdString() + "' must be LAYER:K,K,...");
        c.layerGrid[entry.left(colon).trimmed().toStdString()] = blockSizes(entry.mid(colon + 1), tr("Per-layer grid"));
    }
    if (!c.layerGrid.empty())
        c.blockSizes.clear(); // the grid replaces the k list, as with `circnn sweep --grid`
    for (const QString& l : splitList(field("layers")->text(), ','))
        c.layers.push_back(l.toStdString());
    c.modes.clear();
    for (int i = 0; i < 4; ++i)
        if (m_modes[i]->isChecked())
            c.modes.push_back(kModes[i]);
    if (c.modes.empty())
        throw Error("Accuracy modes: choose at least one mode");
    c.epochs = spin("epochs")->value();
    c.data = field("data")->text().trimmed().toStdString();
    c.labels = field("labels")->text().trimmed().toStdString();
    c.trainData = field("trainData")->text().trimmed().toStdString();
    c.evalLimit = spin("evalLimit")->value();
    c.trainLimit = spin("trainLimit")->value();
    c.calibration = spin("calibration")->value();
    for (const QString& p : splitList(field("platforms")->text(), ','))
        c.platforms.push_back(p.toStdString());
    c.precision = m_precision->currentText().toStdString();
    c.batch = spin("batch")->value();
    c.timingSamples = spin("timingSamples")->value();
    c.seed = static_cast<std::uint32_t>(spin("seed")->value());
    c.reorderUnits = m_reorder->isChecked();
    c.convertOutputLayer = m_outputLayer->isChecked();
    validateSweepConfig(c);
    return c;
}

void SweepConfigForm::setConfig(const SweepConfig& c)
{
    QStringList models = toQt(c.models);
    field("models")->setText(models.join(';'));
    m_kind->setCurrentIndex(c.kind == SweepKind::Grid ? 0 : 1);
    field("k")->setText(joinInts(c.blockSizes));
    QStringList grid;
    for (const auto& [layer, ks] : c.layerGrid)
        grid << QString::fromStdString(layer) + ":" + joinInts(ks);
    field("grid")->setText(grid.join(';'));
    field("layers")->setText(toQt(c.layers).join(','));
    for (int i = 0; i < 4; ++i)
        m_modes[i]->setChecked(std::find(c.modes.begin(), c.modes.end(), kModes[i]) != c.modes.end());
    spin("epochs")->setValue(c.epochs);
    field("data")->setText(QString::fromStdString(c.data));
    field("labels")->setText(QString::fromStdString(c.labels));
    field("trainData")->setText(QString::fromStdString(c.trainData));
    spin("evalLimit")->setValue(static_cast<int>(c.evalLimit));
    spin("trainLimit")->setValue(static_cast<int>(c.trainLimit));
    spin("calibration")->setValue(static_cast<int>(c.calibration));
    field("platforms")->setText(toQt(c.platforms).join(','));
    m_precision->setCurrentText(QString::fromStdString(c.precision));
    spin("batch")->setValue(static_cast<int>(c.batch));
    spin("timingSamples")->setValue(static_cast<int>(c.timingSamples));
    spin("seed")->setValue(static_cast<int>(c.seed));
    m_reorder->setChecked(c.reorderUnits);
    m_outputLayer->setChecked(c.convertOutputLayer);
}

} // namespace circnn::gui
