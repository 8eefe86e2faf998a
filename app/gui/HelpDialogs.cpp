#include "HelpDialogs.h"
#include "BuildInfo.h"

#include <QMessageBox>
#include <QWidget>

#include <H5public.h>
#include <fftw3.h>

namespace circnn::gui {

QString aboutText()
{
    unsigned major = 0, minor = 0, release = 0;
    H5get_libversion(&major, &minor, &release);
    return QObject::tr("<h3>CirCNN Studio %1</h3>"
                       "<p>Block-circulant neural networks (CirCNN, Ding et al., MICRO 2017): explore a model's "
                       "weights, their block-circulant projection and spectra, and the hardware cost.</p>"
                       "<table>"
                       "<tr><td>Build commit</td><td>%2</td></tr>"
                       "<tr><td>Qt</td><td>%3 (built with %4)</td></tr>"
                       "<tr><td>FFTW</td><td>%5</td></tr>"
                       "<tr><td>HDF5</td><td>%6.%7.%8</td></tr>"
                       "</table>")
        .arg(QStringLiteral(CIRCNN_VERSION), QString::fromLatin1(build::commit()), QString::fromLatin1(qVersion()),
             QStringLiteral(QT_VERSION_STR), QString::fromLatin1(fftwf_version))
        .arg(major)
        .arg(minor)
        .arg(release);
}

QString quickStartText()
{
    return QObject::tr(
        "<h3>Quick start</h3><ol>"
        "<li><b>Open</b> a model: File ▸ Open (Ctrl+O), drop a file on the window, or File ▸ Open Recent. "
        "Keras .h5 / .keras and native .circnn.h5 files are read. F5 reloads.</li>"
        "<li><b>Model</b>: the layer table (parameters, compression, MACs); click a layer to explore it. "
        "Weight statistics and a histogram follow below the table.</li>"
        "<li><b>Layer explorer</b>: the weight matrix. Wheel zooms, drag pans, Fit / 1:1 reset. Move the "
        "<i>k</i> slider to project onto k×k circulant blocks; switch between Original, Projection and "
        "Residual. The relative Frobenius residual says how much the projection loses.</li>"
        "<li><b>Block inspector</b>: click a block to see its defining vector, its spectrum (magnitude and "
        "phase) and the block itself; arrow keys move between blocks.</li>"
        "<li><b>Hardware</b>: tick platforms, choose precision, batch and block sizes; the table and charts show "
        "latency, frames/s and energy per frame, dense beside block-circulant. Edit a platform's "
        "parameters in the form and save it as JSON.</li>"
        "<li><b>Inference</b>: browse the dataset (the bundled Fashion-MNIST sample by default) with the "
        "top-5 of the model and of its block-circulant version; Evaluate for accuracy, speed, per-class "
        "accuracy and the confusion matrix (click a cell to list its samples).</li>"
        "<li><b>Conversion and training</b>: set k for all or single layers, then Project, Fine-tune or "
        "Train an architecture; watch loss and accuracy live, Cancel at any time, Save the result.</li>"
        "<li>Long work runs in the background: the status bar shows progress and a Cancel button.</li>"
        "<li>View ▸ Reset layout restores the docks. Every figure is also available from the <tt>circnn</tt> "
        "command line (<tt>circnn inspect</tt>, <tt>convert</tt>, <tt>estimate</tt> …).</li></ol>");
}

void showAbout(QWidget* parent)
{
    auto* box = new QMessageBox(QMessageBox::Information, QObject::tr("About CirCNN Studio"), aboutText(),
                                QMessageBox::Ok, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void showQuickStart(QWidget* parent)
{
    auto* box =
        new QMessageBox(QMessageBox::NoIcon, QObject::tr("Quick start"), quickStartText(), QMessageBox::Ok, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

} // namespace circnn::gui
