#include "PlatformForm.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QSettings>

#include <exception>

namespace circnn::gui {

PlatformForm::PlatformForm(QWidget* parent) : QWidget(parent)
{
    m_grid = new QGridLayout(this);
    m_grid->setContentsMargins(2, 2, 2, 2);
    m_grid->setHorizontalSpacing(8);
    m_grid->setVerticalSpacing(2);
    m_name = new QLineEdit(this);
    m_kind = new QComboBox(this);
    m_kind->addItems({"fpga", "asic", "cpu"});
    m_description = new QLabel(this);
    m_description->setWordWrap(true);
    m_grid->addWidget(new QLabel(tr("Name"), this), 0, 0);
    m_grid->addWidget(m_name, 0, 1);
    m_grid->addWidget(m_kind, 0, 2);
    m_grid->addWidget(m_description, 1, 0, 1, 3);
    using P = hw::Platform;
    const auto prec = [](hw::Precision p) { return static_cast<std::size_t>(p); };
    addField("clock_mhz", tr("Clock"), "MHz", 1e5, 1, [](P& p) -> double& { return p.clockMhz; });
    addField("dsp_blocks", tr("Compute blocks"), tr("blocks"), 1e7, 0, [](P& p) -> double& { return p.dspBlocks; });
    for (hw::Precision pr : hw::kAllPrecisions) {
        const QString key = QString::fromLatin1(hw::precisionKey(pr));
        addField("multipliers_per_dsp." + key, tr("Multipliers per block, %1").arg(key), tr("per block"), 1e4, 2,
                 [pr, prec](P& p) -> double& { return p.multipliersPerDsp[prec(pr)]; });
    }
    addField("compute_efficiency", tr("Compute efficiency"), tr("fraction"), 1, 3,
             [](P& p) -> double& { return p.computeEfficiency; });
    addField("onchip_memory_kib", tr("On-chip memory"), "KiB", 1e9, 0,
             [](P& p) -> double& { return p.onchipMemoryKib; });
    addField("onchip_bandwidth_bits_per_cycle", tr("On-chip bandwidth"), tr("bit/cycle"), 1e9, 0,
             [](P& p) -> double& { return p.onchipBandwidthBitsPerCycle; });
    addField("onchip_energy_pj_per_bit", tr("On-chip energy"), tr("pJ/bit"), 1e4, 4,
             [](P& p) -> double& { return p.onchipEnergyPjPerBit; });
    addField("offchip_bandwidth_gbps", tr("Off-chip bandwidth"), "Gbit/s", 1e6, 2,
             [](P& p) -> double& { return p.offchipBandwidthGbps; });
    addField("offchip_energy_pj_per_bit", tr("Off-chip energy"), tr("pJ/bit"), 1e5, 3,
             [](P& p) -> double& { return p.offchipEnergyPjPerBit; });
    addField("static_power_w", tr("Static power"), "W", 1e4, 3, [](P& p) -> double& { return p.staticPowerW; });
    for (hw::Precision pr : hw::kAllPrecisions) {
        const QString key = QString::fromLatin1(hw::precisionKey(pr));
        addField("energy_pj." + key + ".add", tr("Add energy, %1").arg(key), "pJ", 1e4, 4,
                 [pr, prec](P& p) -> double& { return p.energyPj[prec(pr)].addPj; });
        addField("energy_pj." + key + ".mul", tr("Multiply energy, %1").arg(key), "pJ", 1e4, 4,
                 [pr, prec](P& p) -> double& { return p.energyPj[prec(pr)].mulPj; });
    }
    m_grid->setColumnStretch(2, 1);
    m_grid->setRowStretch(m_grid->rowCount(), 1);
    connect(m_name, &QLineEdit::editingFinished, this, [this] {
        if (m_name->text().toStdString() == m_platform.name)
            return;
        m_platform.name = m_name->text().toStdString();
        emit platformEdited(m_platform);
    });
    connect(m_kind, &QComboBox::currentIndexChanged, this, [this](int i) {
        if (m_updating)
            return;
        m_platform.kind = static_cast<hw::PlatformKind>(i);
        emit platformEdited(m_platform);
    });
}

void PlatformForm::addField(const QString& key, const QString& label, const QString& unit, double max, int decimals,
                            std::function<double&(hw::Platform&)> ref)
{
    const int row = m_grid->rowCount();
    auto* box = new QDoubleSpinBox(this);
    box->setObjectName(key);
    box->setRange(0, max);
    box->setDecimals(decimals);
    box->setSuffix(" " + unit);
    box->setKeyboardTracking(false);
    box->setMinimumWidth(150);
    // Sources wrap (full text, never clipped or elided: the column is as wide as the dock allows).
    auto* source = new QLabel(this);
    source->setWordWrap(true);
    source->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    source->setMinimumWidth(120);
    source->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* name = new QLabel(label, this);
    name->setToolTip(tr("JSON field: %1").arg(key));
    m_grid->addWidget(name, row, 0);
    m_grid->addWidget(box, row, 1);
    m_grid->addWidget(source, row, 2);
    m_fields.push_back({key, box, source, ref});
    connect(box, &QDoubleSpinBox::valueChanged, this, [this, ref](double v) {
        if (m_updating)
            return;
        ref(m_platform) = v;
        refreshSources();
        emit platformEdited(m_platform);
    });
}

QDoubleSpinBox* PlatformForm::field(const QString& key) const
{
    for (const Field& f : m_fields)
        if (f.key == key)
            return f.box;
    return nullptr;
}

void PlatformForm::setPlatform(const hw::Platform& platform)
{
    m_updating = true;
    m_platform = platform;
    m_original = platform;
    m_name->setText(QString::fromStdString(platform.name));
    m_kind->setCurrentIndex(static_cast<int>(platform.kind));
    m_description->setText(QString::fromStdString(platform.description));
    for (Field& f : m_fields)
        f.box->setValue(f.ref(m_platform));
    refreshSources();
    m_updating = false;
}

void PlatformForm::refreshSources()
{
    QString previousTop;
    for (Field& f : m_fields) {
        // Sources are keyed by the top-level field ("energy_pj" covers its per-precision values).
        const QString topKey = f.key.section('.', 0, 0);
        const std::string top = topKey.toStdString();
        const auto it = m_platform.sources.find(top);
        QString text = it != m_platform.sources.end() ? QString::fromStdString(it->second) : tr("(no source given)");
        const bool edited = f.ref(m_platform) != f.ref(m_original);
        if (edited)
            text = tr("edited (was %1) · %2").arg(f.ref(m_original), 0, 'g', 6).arg(text);
        f.source->setToolTip(text);
        // A source shared with the row above is written once (per-precision rows would repeat it).
        f.source->setText(!edited && topKey == previousTop ? tr("(same source as above)") : text);
        previousTop = edited ? QString() : topKey;
    }
}

void PlatformForm::saveAs()
{
    QSettings settings;
    const QString dir = settings.value("platformDirectory").toString();
    const QString path = QFileDialog::getSaveFileName(this, tr("Save platform"),
                                                      dir + "/" + QString::fromStdString(m_platform.name) + ".json",
                                                      tr("Platform JSON (*.json)"));
    if (path.isEmpty())
        return;
    try {
        hw::Platform p = m_platform;
        for (const Field& f : m_fields) {
            const std::string top = f.key.section('.', 0, 0).toStdString();
            if (f.ref(p) != f.ref(m_original) && p.sources.count(top))
                p.sources[top] = "edited in CirCNN Studio (assumption); was: " + p.sources[top];
        }
        hw::savePlatform(p, path.toStdString());
        settings.setValue("platformDirectory", QFileInfo(path).absolutePath());
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Could not save platform"), tr("%1:\n%2").arg(path, QString::fromUtf8(e.what())));
    }
}

void PlatformForm::load()
{
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Load platform"), settings.value("platformDirectory").toString(), tr("Platform JSON (*.json)"));
    if (path.isEmpty())
        return;
    try {
        const hw::Platform p = hw::loadPlatform(path.toStdString());
        settings.setValue("platformDirectory", QFileInfo(path).absolutePath());
        setPlatform(p);
        emit platformLoaded(p);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Could not load platform"), QString::fromUtf8(e.what()));
    }
}

} // namespace circnn::gui
