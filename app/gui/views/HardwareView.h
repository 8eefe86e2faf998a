#pragma once

#include <QWidget>

#include <map>
#include <string>
#include <vector>

#include "hw/Estimate.h"
#include "hw/Platform.h"
#include "model/ConversionPlan.h"

class QChartView;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QSpinBox;
class QSplitter;
class QTableWidget;

namespace circnn::gui {

class Document;
class PlatformForm;

// The hardware view: choose platforms, precision, batch and the block sizes; per-layer and total
// estimates of core's cost model (hw::estimateModel), dense beside block-circulant, as a table and
// charts (frames/s per configuration and platform; energy per frame split into compute, on-chip,
// off-chip and static). The selected platform's parameters are edited in a form (units, sources);
// every change re-estimates on the job runner (channel "estimate", latest wins).
class HardwareView : public QWidget {
    Q_OBJECT
public:
    explicit HardwareView(Document* document, QWidget* parent = nullptr);

    struct Result {
        QString platform;
        std::int64_t k = 1; // requested default block size (the model's own layers keep theirs); 0 = the plan file
        hw::Estimate estimate;
    };
    const std::vector<Result>& results() const { return m_results; }
    // Configuration on display in the table: index into results().
    int shownResult() const { return m_shown; }
    void showResult(int index);

    QTableWidget* table() const { return m_table; }
    PlatformForm* platformForm() const { return m_form; }
    QLineEdit* blockSizesEdit() const { return m_ks; }
    QSplitter* splitter() const { return m_splitter; }
    // The platforms as currently edited (index order of the list).
    const std::vector<hw::Platform>& platforms() const { return m_platforms; }
    void setPlatformChecked(int index, bool checked);
    // A conversion plan file (as `circnn convert --plan`): estimated as one more configuration.
    // Throws Error naming the file when it cannot be read.
    void setPlanFile(const QString& path);
    void selectPlatform(int index); // shows it in the form

signals:
    void estimatesUpdated();

private:
    void requestEstimate();
    void showResults();
    void fillTable();
    void addPlatform(const hw::Platform& platform, bool checked);

    Document* m_doc;
    std::vector<hw::Platform> m_platforms;
    std::vector<Result> m_results;
    int m_shown = -1;
    QListWidget* m_list;
    QComboBox* m_precision;
    QSpinBox* m_batch;
    QLineEdit* m_ks;
    QLabel* m_planLabel;
    QString m_planPath;
    ConversionPlan m_plan;
    PlatformForm* m_form;
    QComboBox* m_config;
    QLabel* m_summary;
    QTableWidget* m_table;
    QChartView* m_throughput;
    QChartView* m_energy;
    QSplitter* m_splitter;
};

} // namespace circnn::gui
