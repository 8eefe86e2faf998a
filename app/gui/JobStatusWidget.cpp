#include "JobStatusWidget.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QToolButton>

#include "JobRunner.h"

namespace circnn::gui {

JobStatusWidget::JobStatusWidget(JobRunner* jobs, QWidget* parent) : QWidget(parent)
{
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_label = new QLabel(this);
    m_bar = new QProgressBar(this);
    m_bar->setMaximumWidth(160);
    m_bar->setRange(0, 1000);
    m_bar->setTextVisible(false);
    m_cancel = new QToolButton(this);
    m_cancel->setText(tr("Cancel"));
    m_cancel->setToolTip(tr("Stop the running work"));
    layout->addWidget(m_label);
    layout->addWidget(m_bar);
    layout->addWidget(m_cancel);
    hide();
    connect(m_cancel, &QToolButton::clicked, jobs, &JobRunner::cancelAll);
    connect(jobs, &JobRunner::busyChanged, this, &QWidget::setVisible);
    connect(jobs, &JobRunner::progressChanged, this, [this](const QString& label, double fraction) {
        m_label->setText(label);
        if (fraction < 0) {
            m_bar->setRange(0, 0);
        } else {
            m_bar->setRange(0, 1000);
            m_bar->setValue(static_cast<int>(fraction * 1000));
        }
    });
}

} // namespace circnn::gui
