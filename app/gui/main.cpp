#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <QSettings>
#include <QTemporaryDir>

#include <cstdio>
#include <cstring>

#include "BuildInfo.h"
#include "Document.h"
#include "GuiBenchmark.h"
#include "MainWindow.h"
#include "ScreenshotRunner.h"

namespace {

struct Options {
    QCommandLineOption screenshot{"screenshot",
                                  "Open the model, save a PNG of the window (or of --view) to <file>, exit.", "file"};
    QCommandLineOption view{
        "view",
        "With --screenshot: the view to picture: model, explorer, inspector, hardware, inference, training, sweep.",
        "name"};
    QCommandLineOption layer{"select-layer", "Select the layer with this name after opening (unknown: error).", "name"};
    QCommandLineOption blockSize{"block-size", "Layer explorer block size k after opening.", "k"};
    QCommandLineOption show{"show", "Layer explorer: original, projection or residual.", "what"};
    QCommandLineOption sweepConfig{
        "sweep-config", "With --view sweep: run this sweep config (JSON, as `circnn sweep --config`) first.", "file"};
    QCommandLineOption tab{
        "tab",
        "With --screenshot: the tab of the view to show, or a collapsible group to open (e.g. Advanced), by its title.",
        "title"};
    QCommandLineOption bench{"bench", "Run the responsiveness benchmark (writes a report to stdout) and exit."};
    QCommandLineOption benchDir{"bench-dir", "Folder for the benchmark's temporary model (default: a new temp folder).",
                                "dir"};
};

void setUp(QCommandLineParser& parser, Options& o)
{
    parser.setApplicationDescription("CirCNN Studio: explore block-circulant neural networks, their projections, "
                                     "spectra and hardware cost. Without MODEL the bundled sample model opens.");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("model", "Model file to open (.h5, .keras, .circnn.h5).", "[model]");
    parser.addOptions({o.screenshot, o.view, o.layer, o.blockSize, o.show, o.sweepConfig, o.tab, o.bench, o.benchDir});
}

bool wants(int argc, char** argv, std::initializer_list<const char*> flags)
{
    for (int i = 1; i < argc; ++i)
        for (const char* f : flags)
            if (std::strcmp(argv[i], f) == 0)
                return true;
    return false;
}

QString sampleModel()
{
    // Installed layout first (<prefix>/share/circnn-studio/sample_models), then the source tree.
    const QString installed =
        QCoreApplication::applicationDirPath() + "/../share/circnn-studio/sample_models/fashion_mlp_k8.circnn.h5";
    if (QFileInfo::exists(installed))
        return QDir::cleanPath(installed);
    return QString::fromUtf8(circnn::build::sampleDir()) + QStringLiteral("/fashion_mlp_k8.circnn.h5");
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication::setOrganizationName("CirCNN");
    QCoreApplication::setApplicationName("CirCNN Studio");
    QCoreApplication::setApplicationVersion(CIRCNN_VERSION);
    Options options;
    // --help and --version need no display: answer them with a core application.
    if (wants(argc, argv, {"-h", "--help", "--help-all", "-?", "-v", "--version"})) {
        QCoreApplication app(argc, argv);
        QCommandLineParser parser;
        setUp(parser, options);
        parser.process(app); // prints and exits
        return 0;
    }
    // Headless runs (screenshots, benchmark) without a display use the offscreen platform.
    if (wants(argc, argv, {"--screenshot", "--bench"}) && qEnvironmentVariableIsEmpty("DISPLAY") &&
        qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    // Headless runs keep their settings (recent files, layout) in a temporary folder: the user's
    // settings stay untouched and nothing is left behind.
    QTemporaryDir headlessSettings;
    if (wants(argc, argv, {"--screenshot", "--bench"})) {
        QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, headlessSettings.path());
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, headlessSettings.path());
    }
    QApplication app(argc, argv);
    QApplication::setWindowIcon(QIcon(":/icons/circnn-studio.svg"));
    QCommandLineParser parser;
    setUp(parser, options);
    parser.process(app);
    if (parser.isSet(options.bench))
        return circnn::gui::runGuiBenchmark(parser.value(options.benchDir));

    circnn::gui::ScreenshotRunner::Request request{parser.value(options.screenshot),
                                                   parser.value(options.view),
                                                   parser.value(options.layer),
                                                   parser.value(options.show),
                                                   parser.value(options.blockSize).toLongLong(),
                                                   parser.value(options.sweepConfig),
                                                   parser.value(options.tab)};
    if (!request.view.isEmpty() && !circnn::gui::MainWindow::viewNames().contains(request.view)) {
        std::fprintf(stderr, "circnn-studio: unknown view '%s' (views: %s)\n", qPrintable(request.view),
                     qPrintable(circnn::gui::MainWindow::viewNames().join(", ")));
        return 2;
    }
    const QString model = parser.positionalArguments().isEmpty() ? sampleModel() : parser.positionalArguments().front();
    circnn::gui::MainWindow window;
    if (!request.output.isEmpty()) {
        window.resetLayout();
        new circnn::gui::ScreenshotRunner(&window, request);
    } else if (!request.layer.isEmpty() || request.blockSize > 0 || !request.show.isEmpty()) {
        // Apply once, after the first model opened with its weights; an unknown layer is an error.
        auto once = std::make_shared<QMetaObject::Connection>();
        *once = QObject::connect(window.document(), &circnn::gui::Document::weightsLoaded, &window,
                                 [&window, request, once] {
                                     QObject::disconnect(*once);
                                     QString error;
                                     if (!circnn::gui::ScreenshotRunner::applySelection(&window, request, error)) {
                                         std::fprintf(stderr, "circnn-studio: %s\n", qPrintable(error));
                                         QApplication::exit(2);
                                     }
                                 });
    }
    window.show();
    window.openModel(model);
    return QApplication::exec();
}
