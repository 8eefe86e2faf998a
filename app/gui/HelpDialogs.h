#pragma once

#include <QString>

class QWidget;

namespace circnn::gui {

// Versions for Help ▸ About: Qt (run time and build), FFTW, HDF5 and the build commit.
QString aboutText();
// Help ▸ About and Help ▸ Quick start (non-blocking message boxes).
void showAbout(QWidget* parent);
void showQuickStart(QWidget* parent);
QString quickStartText();

} // namespace circnn::gui
