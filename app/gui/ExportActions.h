#pragma once
// Export from any view: every chart view gets "Save chart as…" (PNG or SVG, by the name chosen),
// every table "Copy" (Ctrl+C: the selected rows, or all, tab-separated, to the clipboard) and
// "Save table as CSV…", every heatmap "Save heatmap as PNG…" — as context-menu actions, installed
// on a window's widgets by installExportActions (again after views add widgets; installing twice
// is harmless). Files are written atomically (core AtomicFile); failures are dialogs naming the
// file and the reason.

#include <QList>
#include <QString>

#include <functional>

class QAbstractItemModel;
class QAbstractItemView;
class QWidget;

namespace circnn::gui {

// Asks for a file to save (a QFileDialog by default). Tests install a chooser that answers.
using ExportFileChooser = std::function<QString(QWidget* parent, const QString& caption, const QString& suggestedName,
                                                const QString& filter)>;
void setExportFileChooser(ExportFileChooser chooser); // empty: the QFileDialog again
QString chooseExportFile(QWidget* parent, const QString& caption, const QString& suggestedName, const QString& filter);

void installExportActions(QWidget* root);

// The table as CSV (RFC 4180, header row first, the rows in view order; `rows` empty = all).
QString tableCsv(const QAbstractItemModel& model, const QList<int>& rows = {});
// The table as tab-separated text, selected rows only if any row is selected.
QString tableText(const QAbstractItemView& view);
// Writes tableCsv of the view's model atomically. Throws circnn::Error naming the file.
void saveTableCsv(const QAbstractItemView& view, const QString& path);

} // namespace circnn::gui
