#pragma once

#include <QWidget>

class QLabel;
class QProgressBar;
class QToolButton;

namespace circnn::gui {

class JobRunner;

// Status-bar face of the job runner: what runs, how far, and a Cancel button (cancels every
// running job). Hidden while the runner is idle.
class JobStatusWidget : public QWidget {
    Q_OBJECT
public:
    explicit JobStatusWidget(JobRunner* jobs, QWidget* parent = nullptr);

private:
    QLabel* m_label;
    QProgressBar* m_bar;
    QToolButton* m_cancel;
};

} // namespace circnn::gui
