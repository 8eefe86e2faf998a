#pragma once

#include <QMainWindow>
#include <QString>

class QLabel;

namespace circnn::gui {

// The main window. This first version is a shell: menus, status bar, and the place where the
// model explorer, block inspector, hardware and sweep views will live.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    // Opens a model file; errors are shown in the status bar and a message box.
    void openModel(const QString& path);

private:
    void showAbout();

    QLabel* m_placeholder = nullptr;
};

} // namespace circnn::gui
