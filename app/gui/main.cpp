#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>

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
    parser.process(app);

    circnn::gui::MainWindow window;
    window.show();
    if (!parser.positionalArguments().isEmpty())
        window.openModel(parser.positionalArguments().front());
    return QApplication::exec();
}
