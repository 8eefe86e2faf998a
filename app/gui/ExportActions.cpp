#include "ExportActions.h"

#include <QAbstractItemView>
#include <QAction>
#include <QApplication>
#include <QChartView>
#include <QClipboard>
#include <QFileDialog>
#include <QFileInfo>
#include <QItemSelectionModel>
#include <QMessageBox>
#include <QSettings>

#include <algorithm>

#include "charts/ChartExport.h"
#include "common/AtomicFile.h"
#include "widgets/HeatmapWidget.h"

namespace circnn::gui {

namespace {
ExportFileChooser& chooser()
{
    static ExportFileChooser c;
    return c;
}

QString csvField(QString s)
{
    if (s.contains(',') || s.contains('"') || s.contains('\n')) {
        s.replace('"', "\"\"");
        return '"' + s + '"';
    }
    return s;
}

QString cell(const QAbstractItemModel& m, int row, int col)
{
    return m.data(m.index(row, col), Qt::DisplayRole).toString();
}

// Runs `save(path)` for a file the user chooses; a failure is a dialog naming the file and why.
void saveWithDialog(QWidget* parent, const QString& caption, const QString& suggested, const QString& filter,
                    const std::function<void(const QString&)>& save)
{
    const QString path = chooseExportFile(parent, caption, suggested, filter);
    if (path.isEmpty())
        return;
    try {
        save(path);
        QSettings().setValue("lastExportDirectory", QFileInfo(path).absolutePath());
    } catch (const std::exception& e) {
        auto* box = new QMessageBox(QMessageBox::Warning, caption,
                                    QObject::tr("Could not save %1:\n\n%2").arg(path, QString::fromStdString(e.what())),
                                    QMessageBox::Ok, parent);
        box->setObjectName("exportFailedBox");
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    }
}

bool equipped(QWidget* w)
{
    if (w->property("circnnExport").toBool())
        return true;
    w->setProperty("circnnExport", true);
    w->setContextMenuPolicy(Qt::ActionsContextMenu);
    return false;
}

QString baseName(const QWidget* w, const char* fallback)
{
    return w->objectName().isEmpty() ? QString(fallback) : w->objectName();
}
} // namespace

void setExportFileChooser(ExportFileChooser c)
{
    chooser() = std::move(c);
}

QString chooseExportFile(QWidget* parent, const QString& caption, const QString& suggestedName, const QString& filter)
{
    if (chooser())
        return chooser()(parent, caption, suggestedName, filter);
    const QString dir = QSettings().value("lastExportDirectory").toString();
    return QFileDialog::getSaveFileName(parent, caption, dir.isEmpty() ? suggestedName : dir + "/" + suggestedName,
                                        filter);
}

QString tableCsv(const QAbstractItemModel& m, const QList<int>& rows)
{
    QStringList lines;
    QStringList header;
    for (int c = 0; c < m.columnCount(); ++c)
        header << csvField(m.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString());
    lines << header.join(',');
    QList<int> order = rows;
    if (order.isEmpty())
        for (int r = 0; r < m.rowCount(); ++r)
            order << r;
    for (int r : order) {
        QStringList fields;
        for (int c = 0; c < m.columnCount(); ++c)
            fields << csvField(cell(m, r, c));
        lines << fields.join(',');
    }
    return lines.join('\n') + '\n';
}

QString tableText(const QAbstractItemView& view)
{
    const QAbstractItemModel* m = view.model();
    if (!m)
        return {};
    QList<int> rows;
    if (view.selectionModel())
        for (const QModelIndex& i : view.selectionModel()->selectedIndexes())
            if (!rows.contains(i.row()))
                rows << i.row();
    std::sort(rows.begin(), rows.end());
    if (rows.isEmpty())
        for (int r = 0; r < m->rowCount(); ++r)
            rows << r;
    QStringList lines, header;
    for (int c = 0; c < m->columnCount(); ++c)
        header << m->headerData(c, Qt::Horizontal, Qt::DisplayRole).toString();
    lines << header.join('\t');
    for (int r : rows) {
        QStringList fields;
        for (int c = 0; c < m->columnCount(); ++c)
            fields << cell(*m, r, c);
        lines << fields.join('\t');
    }
    return lines.join('\n') + '\n';
}

void saveTableCsv(const QAbstractItemView& view, const QString& path)
{
    const QByteArray bytes = view.model() ? tableCsv(*view.model()).toUtf8() : QByteArray();
    writeTextFileAtomically(path.toStdString(), std::string(bytes.constData(), std::size_t(bytes.size())));
}

void installExportActions(QWidget* root)
{
    for (QChartView* view : root->findChildren<QChartView*>()) {
        if (equipped(view))
            continue;
        auto* save = new QAction(QObject::tr("Save chart as…"), view);
        QObject::connect(save, &QAction::triggered, view, [view] {
            saveWithDialog(view, QObject::tr("Save chart"), baseName(view, "chart") + ".png",
                           QObject::tr("PNG picture (*.png);;SVG drawing (*.svg)"),
                           [view](const QString& path) { charts::saveChartView(*view, path); });
        });
        view->addAction(save);
    }
    for (QAbstractItemView* view : root->findChildren<QAbstractItemView*>()) {
        if (!view->inherits("QTableView") || equipped(view))
            continue;
        auto* copy = new QAction(QObject::tr("Copy"), view);
        copy->setShortcut(QKeySequence::Copy);
        copy->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        QObject::connect(copy, &QAction::triggered, view,
                         [view] { QApplication::clipboard()->setText(tableText(*view)); });
        auto* csv = new QAction(QObject::tr("Save table as CSV…"), view);
        QObject::connect(csv, &QAction::triggered, view, [view] {
            saveWithDialog(view, QObject::tr("Save table"), baseName(view, "table") + ".csv",
                           QObject::tr("CSV (*.csv)"), [view](const QString& path) { saveTableCsv(*view, path); });
        });
        view->addAction(copy);
        view->addAction(csv);
    }
    for (HeatmapWidget* heatmap : root->findChildren<HeatmapWidget*>()) {
        if (equipped(heatmap))
            continue;
        auto* save = new QAction(QObject::tr("Save heatmap as PNG…"), heatmap);
        QObject::connect(save, &QAction::triggered, heatmap, [heatmap] {
            saveWithDialog(heatmap, QObject::tr("Save heatmap"), baseName(heatmap, "heatmap") + ".png",
                           QObject::tr("PNG picture (*.png)"),
                           [heatmap](const QString& path) { charts::saveImagePng(heatmap->grab().toImage(), path); });
        });
        heatmap->addAction(save);
    }
}

} // namespace circnn::gui
