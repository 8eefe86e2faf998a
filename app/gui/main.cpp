#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QTimer>

#include <functional>

#include "MainWindow.h"

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName("CirCNN");
    QApplication::setApplicationName("CirCNN Studio");
    QApplication::setApplicationVersion("0.1.0");
    QApplication::setWindowIcon(QIcon(":/icons/circnn-studio.svg"));

    QCommandLineParser parser;
    parser.setApplicationDescription("Explore, convert and estimate block-circulant neural networks.");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("model", "Model file to open (.h5, .keras, .circnn.h5).", "[model]");
    QCommandLineOption screenshot("screenshot",
                                  "Open the model, save a PNG of the window to <file>, and exit (for docs).",
                                  "file");
    QCommandLineOption layer("select-layer", "Select the layer with this name after opening.", "name");
    parser.addOption(screenshot);
    parser.addOption(layer);
    parser.process(app);

    circnn::gui::MainWindow window;
    window.show();
    const QString shotPath = parser.value(screenshot);
    const QString layerName = parser.value(layer);
    // Saves the screenshot once the selected layer's heatmap (prepared in the background) is shown.
    std::function<void()> shootWhenIdle = [&] {
        if (window.isLoading() || window.isRenderingLayer()) {
            QTimer::singleShot(100, &window, shootWhenIdle);
            return;
        }
        QTimer::singleShot(200, &window, [&] { QApplication::exit(window.grab().save(shotPath) ? 0 : 1); });
    };
    auto finish = [&] {
        if (!layerName.isEmpty())
            window.selectLayer(layerName);
        if (!shotPath.isEmpty())
            QTimer::singleShot(100, &window, shootWhenIdle);
    };
    QObject::connect(&window, &circnn::gui::MainWindow::modelLoaded, &window, finish);
    QObject::connect(&window, &circnn::gui::MainWindow::modelLoadFailed, &window, [&] {
        if (!shotPath.isEmpty())
            QApplication::exit(1);
    });
    if (!parser.positionalArguments().isEmpty())
        window.openModel(parser.positionalArguments().front());
    else if (!shotPath.isEmpty())
        finish();
    return QApplication::exec();
}
