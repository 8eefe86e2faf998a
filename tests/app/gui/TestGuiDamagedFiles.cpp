// A damaged file that crashes or hangs the HDF5 library, opened in the desktop app: an error
// message, and the session keeps its open model (Document::open goes through core's
// readModelArchitecture and readModel and so through the isolated reader).

#include <QApplication>
#include <QFileInfo>
#include <QMessageBox>
#include <QSignalSpy>
#include <QTest>

#include "Document.h"
#include "MainWindow.h"
#include "TestSupport.h"
#include "io/IsolatedReader.h"

using namespace circnn;

class TestGuiDamagedFiles : public QObject {
    Q_OBJECT
private slots:
    void damagedFilesKeepTheOpenModel()
    {
        QCoreApplication::setOrganizationName("CirCNN-test");
        QCoreApplication::setApplicationName("gui-damaged-test");
        QVERIFY(isolationEnabled());
        qputenv("CIRCNN_READER_TIMEOUT", "3");
        const auto dir = test::sourceDir();
        gui::MainWindow w;
        gui::Document* doc = w.document();
        QSignalSpy changed(doc, &gui::Document::modelChanged);
        QSignalSpy failed(doc, &gui::Document::openFailed);
        QSignalSpy loaded(doc, &gui::Document::weightsLoaded);
        const QString good = QString::fromStdString((dir / "sample_models" / "fashion_mlp_k8.circnn.h5").string());
        doc->open(good);
        QVERIFY(loaded.wait(60000));
        const std::shared_ptr<const ModelSpec> before = doc->model();
        QVERIFY(before);
        const std::size_t layers = before->layers.size();
        QVERIFY(layers > 0);
        for (const char* name : {"crash-vlen-heap_fashion_mlp_dense.h5", "hang-heap-loop_fashion_mlp_k8.circnn.h5"}) {
            failed.clear();
            changed.clear();
            const QString bad = QString::fromStdString((dir / "tests" / "data" / "fuzz-regressions" / name).string());
            doc->open(bad);
            QVERIFY(failed.wait(60000));
            QCOMPARE(failed.last().at(0).toString(), bad);
            const QString reason = failed.last().at(1).toString();
            QVERIFY2(reason.contains("is damaged") && reason.contains(name), qPrintable(reason));
            // Damage found reading the architecture: nothing changed; found reading the weights:
            // the architecture was shown, then the previous model came back (two-stage open).
            QVERIFY2(changed.count() == 0 || changed.count() == 2, qPrintable(QString::number(changed.count())));
            QCOMPARE(doc->model(), before);
            QVERIFY(!doc->weightsPending());
            QCOMPARE(doc->model()->layers.size(), layers);
            QCOMPARE(doc->path(), QFileInfo(good).absoluteFilePath());
            QVERIFY(!doc->isLoading());
            // The main window tells the user (a non-modal message box naming the file).
            bool shown = false;
            for (QMessageBox* box : w.findChildren<QMessageBox*>("openFailedBox"))
                if (box->isVisible() && box->text().contains(name)) {
                    shown = true;
                    box->close();
                }
            QVERIFY(shown);
        }
        // The session is still usable: the good model opens again.
        loaded.clear();
        doc->open(good);
        QVERIFY(loaded.wait(60000));
        QVERIFY(doc->model());
        qunsetenv("CIRCNN_READER_TIMEOUT");
    }
};

QTEST_MAIN(TestGuiDamagedFiles)
#include "TestGuiDamagedFiles.moc"
