// A damaged file that crashes or hangs the HDF5 library, opened in the desktop app: an error
// message, and the session keeps its open model (the load goes through the isolated reader).

#include <QApplication>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTest>

#include "MainWindow.h"
#include "TestSupport.h"

using namespace circnn;

class TestGuiDamagedFiles : public QObject {
    Q_OBJECT
private slots:
    void damagedFilesKeepTheOpenModel()
    {
        QCoreApplication::setOrganizationName("CirCNN-test");
        QCoreApplication::setApplicationName("gui-damaged-test");
        qputenv("CIRCNN_READER_TIMEOUT", "3");
        const auto dir = test::sourceDir();
        gui::MainWindow w;
        QSignalSpy loaded(&w, &gui::MainWindow::modelLoaded);
        QSignalSpy failed(&w, &gui::MainWindow::modelLoadFailed);
        w.openModel(QString::fromStdString((dir / "sample_models" / "fashion_mlp_k8.circnn.h5").string()));
        QVERIFY(loaded.wait(60000));
        const ModelSpec* before = w.model();
        QVERIFY(before);
        const int rows = w.layerTable()->rowCount();
        for (const char* name : {"crash-vlen-heap_fashion_mlp_dense.h5", "hang-heap-loop_fashion_mlp_k8.circnn.h5"}) {
            failed.clear();
            w.openModel(QString::fromStdString((dir / "tests" / "data" / "fuzz-regressions" / name).string()));
            QVERIFY(failed.wait(60000));
            QVERIFY2(w.lastError().contains("is damaged"), qPrintable(w.lastError()));
            QCOMPARE(w.model(), before);
            QCOMPARE(w.layerTable()->rowCount(), rows);
        }
        qunsetenv("CIRCNN_READER_TIMEOUT");
    }
};

QTEST_MAIN(TestGuiDamagedFiles)
#include "TestGuiDamagedFiles.moc"
