#include "SweepTableModel.h"

namespace circnn::gui {

int SweepTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_points.size());
}

int SweepTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : FixedColumns + 2 * static_cast<int>(m_platforms.size());
}

QVariant SweepTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole || orientation != Qt::Horizontal)
        return QAbstractTableModel::headerData(section, orientation, role);
    static const char* kNames[] = {"point",       "mode",        "block sizes",
                                   "compression", "top-1 %",     "Δ top-1 (points)",
                                   "top-5 %",     "agreement %", "latency (ms)"};
    static const char* kErrorNames[] = {"MSE", "Δ MSE (vs dense)", "MAE", "ROC AUC"};
    if (showsErrors() && section >= Top1 && section <= Agreement)
        return section == Top1 ? QString::fromStdString(m_points.front().metric().label)
                               : tr(kErrorNames[section - Top1]);
    if (section < FixedColumns)
        return tr(kNames[section]);
    const int p = (section - FixedColumns) / 2;
    if (p >= m_platforms.size())
        return {};
    return (section - FixedColumns) % 2 == 0 ? tr("%1 frames/s").arg(m_platforms[p])
                                             : tr("%1 µJ/frame").arg(m_platforms[p]);
}

QVariant SweepTableModel::data(const QModelIndex& index, int role) const
{
    const SweepPointResult* p = pointAt(index.row());
    if (!p || (role != Qt::DisplayRole && role != Qt::UserRole && role != Qt::TextAlignmentRole))
        return {};
    const int c = index.column();
    if (role == Qt::TextAlignmentRole)
        return c <= Blocks ? QVariant(Qt::AlignLeft | Qt::AlignVCenter) : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    const bool text = role == Qt::DisplayRole;
    auto number = [&](double v, int decimals) -> QVariant {
        return text ? QVariant(QString::number(v, 'f', decimals)) : QVariant(v);
    };
    switch (c) {
    case Id:
        return text ? QVariant(QString::fromStdString(p->id)) : QVariant(qulonglong(p->index));
    case Mode:
        return QString::fromStdString(p->mode);
    case Blocks:
        return text ? QVariant(QString::fromStdString(p->blockLabel())) : QVariant(qlonglong(p->k));
    case Compression:
        return number(p->compression, 2);
    case Top1:
    case Drop:
    case Top5:
    case Agreement:
        if (!p->metric().higherIsBetter) {
            auto value = [&](double v) { return text ? QVariant(QString::number(v, 'g', 5)) : QVariant(v); };
            if (c == Agreement)
                return p->errors.rocAuc ? value(*p->errors.rocAuc)
                                        : (text ? QVariant(QStringLiteral("—")) : QVariant(-1.0));
            return value(c == Top1 ? p->errors.mse : c == Drop ? p->errors.mse - p->errors.denseMse : p->errors.mae);
        }
        break;
    default:
        break;
    }
    switch (c) {
    case Top1:
        return number(100 * p->top1, 2);
    case Drop:
        return number(100 * (p->denseTop1 - p->top1), 2);
    case Top5:
        return number(100 * p->top5, 2);
    case Agreement:
        return number(100 * p->agreement, 1);
    case LatencyMs:
        if (p->timing.samples <= 0)
            return text ? QVariant(QStringLiteral("—")) : QVariant(-1.0);
        return number(p->timing.latencyMs, 4);
    default:
        break;
    }
    const int platform = (c - FixedColumns) / 2;
    if (platform >= m_platforms.size())
        return {};
    const SweepPlatformResult* h = p->platform(m_platforms[platform].toStdString());
    if (!h)
        return text ? QVariant(QStringLiteral("—")) : QVariant(-1.0);
    if ((c - FixedColumns) % 2 == 0)
        return text ? QVariant(QString::number(h->framesPerSecond, 'g', 4)) : QVariant(h->framesPerSecond);
    return text ? QVariant(QString::number(h->energyPjPerFrame * 1e-6, 'g', 4)) : QVariant(h->energyPjPerFrame);
}

void SweepTableModel::clear()
{
    beginResetModel();
    m_points.clear();
    m_platforms.clear();
    endResetModel();
}

void SweepTableModel::append(const SweepPointResult& point)
{
    for (const SweepPlatformResult& h : point.platforms) {
        const QString name = QString::fromStdString(h.platform);
        if (m_platforms.contains(name))
            continue;
        const int first = columnCount();
        beginInsertColumns({}, first, first + 1);
        m_platforms << name;
        endInsertColumns();
    }
    const int row = rowCount();
    beginInsertRows({}, row, row);
    m_points.push_back(point);
    endInsertRows();
    if (row == 0 && showsErrors())
        emit headerDataChanged(Qt::Horizontal, Top1, Agreement);
}

bool SweepTableModel::showsErrors() const
{
    return !m_points.empty() && !m_points.front().metric().higherIsBetter;
}

const SweepPointResult* SweepTableModel::pointAt(int row) const
{
    return row >= 0 && row < rowCount() ? &m_points[static_cast<std::size_t>(row)] : nullptr;
}

int SweepTableModel::rowOfId(const std::string& id) const
{
    for (std::size_t i = 0; i < m_points.size(); ++i)
        if (m_points[i].id == id)
            return static_cast<int>(i);
    return -1;
}

} // namespace circnn::gui
