#include "ReportHtml.h"

#include <QStringList>

#include <filesystem>

#include "analysis/Sensitivity.h"
#include "charts/ChartRenderer.h"
#include "common/AtomicFile.h"

namespace circnn::report {

namespace {

QString esc(const std::string& s)
{
    return QString::fromStdString(s).toHtmlEscaped();
}
QString num(double v, int significant = 4)
{
    return QString::fromStdString(formatNumber(v, significant));
}
QString pct(double v)
{
    return QString::fromStdString(formatPercent(v));
}
QString cell(const QString& s, bool right = true)
{
    return (right ? "<td class=\"r\">" : "<td>") + s + "</td>";
}
QString head(const QStringList& names)
{
    QString h = "<thead><tr>";
    for (const QString& n : names)
        h += "<th>" + n + "</th>";
    return h + "</tr></thead>";
}
QString fileName(const std::string& path)
{
    return esc(std::filesystem::path(path).filename().string());
}

QString summaryHtml(const SweepReport& r)
{
    QStringList modes;
    for (const std::string& m : r.modes())
        modes << esc(m);
    QStringList ks;
    for (std::int64_t k : r.config.blockSizes)
        ks << QString::number(k);
    for (const auto& [layer, list] : r.config.layerGrid) {
        QStringList l;
        for (std::int64_t k : list)
            l << QString::number(k);
        ks << esc(layer) + ": " + l.join("/");
    }
    QStringList platforms;
    for (const std::string& p : r.platformNames())
        platforms << esc(p);
    QString s = "<table class=\"kv\">";
    auto row = [&](const QString& k, const QString& v) { s += "<tr><th>" + k + "</th><td>" + v + "</td></tr>"; };
    row("Sweep", r.config.kind == SweepKind::Sensitivity
                     ? "per-layer sensitivity (one layer at a time)"
                     : (r.config.layerGrid.empty() ? "global block size" : "per-layer grid"));
    row("Points", QString::number(r.points.size()) + " of " + QString::number(r.expectedPoints));
    row("Accuracy modes",
        modes.join(", ") + (r.config.epochs > 0
                                ? " (finetune / scratch: " + QString::number(r.config.epochs) + " epoch(s))"
                                : QString()));
    row("Block sizes", ks.join(", "));
    const SweepMetric metric = r.metric();
    row("Ranked by", esc(metric.label) + " (task " + esc(metric.task) + ")");
    row("Evaluation data",
        esc(r.config.data) +
            (r.config.evalLimit ? " (first " + QString::number(r.config.evalLimit) + " samples)" : QString()));
    if (!r.config.trainData.empty())
        row("Training data", esc(r.config.trainData));
    row("Platforms", platforms.isEmpty() ? "none" : platforms.join(", "));
    row("Precision, batch", esc(r.config.precision) + ", " + QString::number(r.config.batch));
    row("Config hash", "<code>" + esc(r.configHash) + "</code>");
    return s + "</table>";
}

QString modelsHtml(const SweepReport& r)
{
    QString s;
    for (const ReportModelSummary& m : r.models) {
        s += "<h3>Model " + fileName(m.file) + "</h3><p>" + esc(m.name) + ": " + QString::number(m.parameters) +
             " stored parameters, " + QString::number(m.macs) + " multiply-accumulates per sample.</p>";
        s += "<table>" + head({"layer", "kind", "output shape", "parameters", "MACs", "representation"}) + "<tbody>";
        for (const ReportLayerRow& l : m.layers)
            s += "<tr>" + cell(esc(l.name), false) + cell(esc(l.kind), false) + cell(esc(l.outputShape), false) +
                 cell(QString::number(l.parameters)) + cell(QString::number(l.macs)) +
                 cell(esc(l.representation), false) + "</tr>";
        s += "</tbody></table>";
    }
    return s;
}

// The figure columns of a point: top-1 / top-5 / agreement for classifiers, MSE / MAE / ROC AUC
// (each with the dense model's in brackets) for reconstruction / regression models.
QString figureCells(const SweepPointResult& p)
{
    if (p.metric().higherIsBetter)
        return cell(pct(p.top1)) + cell(pct(p.top5)) + cell(pct(p.agreement));
    const SweepErrors& e = p.errors;
    const QString auc =
        e.rocAuc ? num(*e.rocAuc, 4) + " (" + (e.denseRocAuc ? num(*e.denseRocAuc, 4) : "–") + ")" : QString("–");
    return cell(num(e.mse) + " (" + num(e.denseMse) + ")") + cell(num(e.mae) + " (" + num(e.denseMae) + ")") +
           cell(auc);
}

QString pointsHtml(const SweepReport& r)
{
    const SweepMetric metric = r.metric();
    const QStringList figures = metric.higherIsBetter
                                    ? QStringList{"top-1 %", "top-5 %", "agreement %"}
                                    : QStringList{esc(metric.label) + " (dense)", "MAE (dense)", "ROC AUC (dense)"};
    QString s = "<table>" +
                head(QStringList{"point", "mode", "block sizes", "parameters", "compression"} + figures +
                     QStringList{"CPU latency ms (dense)", "CPU samples/s (dense)", "Pareto"}) +
                "<tbody>";
    for (const SweepPointResult& p : r.points) {
        QStringList pareto;
        if (r.paretoCompression.count(p.id))
            pareto << "C";
        if (r.paretoLatency.count(p.id))
            pareto << "L";
        for (const auto& [platform, ids] : r.paretoEnergy)
            if (ids.count(p.id)) {
                pareto << "E";
                break;
            }
        s += "<tr>" + cell(esc(p.id), false) +
             cell(esc(p.mode) + (p.epochs ? " " + QString::number(p.epochs) + "ep" : ""), false) +
             cell(esc(p.blockLabel()), false) + cell(QString::number(p.parameters)) +
             cell(num(p.compression, 3) + "×") + figureCells(p) +
             cell(num(p.timing.latencyMs, 3) + " (" + num(p.timing.denseLatencyMs, 3) + ")") +
             cell(num(p.timing.throughput, 3) + " (" + num(p.timing.denseThroughput, 3) + ")") +
             cell(pareto.join(" "), false) + "</tr>";
    }
    const QString what = metric.higherIsBetter ? QString("accuracy") : QString("MSE (lower is better)");
    s += "</tbody></table><p class=\"note\">Pareto: C = " + what + " vs compression, L = " + what +
         " vs measured latency, E = " + what +
         " vs energy per frame on at least one platform (per model). CPU figures are measured by the "
         "engine on the machine in the reproducibility block (one thread); " +
         (metric.higherIsBetter ? "top-1 agreement is with the dense model's predictions."
                                : "errors are means over the evaluation samples; ROC AUC of the per-sample squared "
                                  "error against 0/1 anomaly labels, when the data has them.") +
         "</p>";
    return s;
}

QString estimatesHtml(const SweepReport& r)
{
    if (r.platformNames().empty())
        return {};
    QString s = "<h2>Hardware estimates</h2><table>" +
                head({"point", "platform", "latency ms (dense)", "frames/s", "energy µJ/frame (dense)", "multipliers",
                      "on-chip mem %", "weights on chip", "bound", "Pareto E"}) +
                "<tbody>";
    for (const SweepPointResult& p : r.points)
        for (const SweepPlatformResult& h : p.platforms) {
            const bool front = r.paretoEnergy.count(h.platform) && r.paretoEnergy.at(h.platform).count(p.id);
            s += "<tr>" + cell(esc(p.id), false) + cell(esc(h.platform), false) +
                 cell(num(1e3 * h.latencyS, 3) + " (" + num(1e3 * h.denseLatencyS, 3) + ")") +
                 cell(num(h.framesPerSecond, 4)) +
                 cell(num(1e-6 * h.energyPjPerFrame, 3) + " (" + num(1e-6 * h.denseEnergyPjPerFrame, 3) + ")") +
                 cell(num(h.multipliers, 4)) + cell(pct(h.onchipMemoryUtilisation)) +
                 cell(h.weightsOnChip ? "yes" : "no", false) + cell(esc(h.bound), false) +
                 cell(front ? "E" : "", false) + "</tr>";
        }
    return s + "</tbody></table><p class=\"note\">Estimates of the hardware cost model (docs/hardware-model.md), "
               "with the assumptions listed below; latency per batch.</p>";
}

} // namespace

QString reportFrontHtml(const SweepReport& r)
{
    QString s = "<h1>" + esc(r.title) + "</h1>";
    s += "<p class=\"sub\">Generated " + esc(r.generatedAt) + " by " + esc(r.tool) + "</p>";
    s += "<h2>Summary</h2>" + summaryHtml(r);
    s += "<h2>Models</h2>" + modelsHtml(r);
    s += "<h2>Sweep table</h2>" + pointsHtml(r);
    s += estimatesHtml(r);
    return s;
}

QString reportBackHtml(const SweepReport& r)
{
    QString s;
    if (r.plan) {
        const AutoPlanResult& p = *r.plan;
        s += "<h2>Automatic plan</h2><p>Objective: <b>" + esc(p.objective) + "</b> (" + esc(p.objectiveUnit) + ")" +
             (p.platform.empty() ? QString() : " on " + esc(p.platform)) + ", budget " + num(p.budgetPoints, 3) +
             " points below dense top-1 (" + pct(p.denseTop1) + " %), accuracy mode <b>" + esc(p.mode) + "</b>. " +
             (p.verified ? "Verified" : "NOT verified") + ": top-1 " + pct(p.planTop1) + " %, objective " +
             num(p.planObjective, 4) + " (dense " + num(p.denseObjective, 4) + ").</p>";
        s += "<table>" + head({"layer", "block size"}) + "<tbody>";
        for (const auto& [layer, k] : p.plan)
            s += "<tr>" + cell(esc(layer), false) + cell(k > 1 ? QString::number(k) : "1 (dense)") + "</tr>";
        s += "</tbody></table><p class=\"note\">" + esc(p.summary) + "</p>";
    }
    if (!r.platforms.empty()) {
        s += "<h2>Hardware assumptions</h2><table>" +
             head({"platform", "kind", "clock MHz", "multipliers", "on-chip KiB", "off-chip Gbit/s"}) + "<tbody>";
        for (const ReportPlatform& p : r.platforms)
            s += "<tr>" + cell(esc(p.name), false) + cell(esc(p.kind), false) + cell(num(p.clockMhz)) +
                 cell(num(p.multipliers)) + cell(num(p.onchipMemoryKib)) + cell(num(p.offchipBandwidthGbps)) + "</tr>";
        s += "</tbody></table><ul class=\"assume\">";
        for (const std::string& a : r.hardwareAssumptions)
            s += "<li>" + esc(a) + "</li>";
        s += "</ul>";
    }
    s += "<h2>Reproducibility</h2>";
    for (std::size_t i = 0; i < r.sessions.size(); ++i) {
        const SweepResultsHeader& h = r.sessions[i];
        const SweepProvenance& p = h.provenance;
        s += "<table class=\"kv\">";
        auto row = [&](const QString& k, const QString& v) { s += "<tr><th>" + k + "</th><td>" + v + "</td></tr>"; };
        row("Run",
            QString::number(i + 1) + " of " + QString::number(r.sessions.size()) + " (shard " + esc(h.shard) + ")");
        row("Tool", esc(p.tool) + (p.gitCommit.empty() ? QString() : ", commit <code>" + esc(p.gitCommit) + "</code>"));
        row("Command line", "<code>" + esc(p.commandLine) + "</code>");
        row("Date", esc(p.date));
        row("Machine", esc(p.machine));
        row("Seed", QString::number(h.config.seed));
        QString files;
        for (const SweepFileDigest& f : p.files)
            files += esc(f.role) + " <code>" + esc(f.path) + "</code> (" + QString::number(f.bytes) +
                     " bytes)<br><code class=\"sha\">sha256 " + esc(f.sha256) + "</code><br>";
        row("Files", files);
        s += "</table>";
    }
    if (!r.warnings.empty()) {
        s += "<h2>Warnings</h2><ul>";
        for (const std::string& w : r.warnings)
            s += "<li>" + esc(w) + "</li>";
        s += "</ul>";
    }
    return s;
}

QString sweepReportHtml(const SweepReport& r, std::vector<ReportChart>& charts)
{
    std::vector<RecordedChart> recorded;
    for (ReportChart& c : charts)
        recorded.push_back(recordChartForHtml(c));
    return sweepReportHtml(r, recorded);
}

QString sweepReportHtml(const SweepReport& r, const std::vector<RecordedChart>& charts)
{
    static const char* kStyle =
        "body{font-family:'DejaVu Sans',Arial,sans-serif;font-size:13px;color:#222;max-width:1100px;margin:1.5em "
        "auto;padding:0 1em}h1{font-size:22px;margin-bottom:0}h2{font-size:17px;border-bottom:1px solid "
        "#bbb;margin-top:1.6em}h3{font-size:14px}.sub{color:#666;margin-top:.2em}table{border-collapse:collapse;"
        "margin:.5em 0}th,td{border:1px solid #ccc;padding:2px 6px}th{background:#eef1f5;text-align:left}"
        "td.r{text-align:right;font-variant-numeric:tabular-nums}table.kv th{width:11em}.note{color:#555;font-size:"
        "12px}code{font-size:12px}.sha{color:#555;font-size:11px}figure{margin:1em 0;page-break-inside:avoid}"
        "figcaption{color:#555;font-size:12px}svg{max-width:100%;height:auto}@media print{body{max-width:none}"
        "h2{page-break-after:avoid}}";
    QString s = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                QString::fromStdString(r.title).toHtmlEscaped() + "</title><style>" + kStyle +
                "</style></head><body>\n";
    s += reportFrontHtml(r);
    if (!charts.empty())
        s += "<h2>Charts</h2>";
    for (const RecordedChart& c : charts) {
        QString svg = QString::fromUtf8(c.svg);
        const qsizetype start = svg.indexOf("<svg");
        if (start > 0)
            svg = svg.mid(start);
        s += "<figure id=\"" + c.id + "\">" + svg + "<figcaption>" + c.caption.toHtmlEscaped() +
             "</figcaption></figure>\n";
    }
    s += reportBackHtml(r);
    s += "</body></html>\n";
    return s;
}

void writeSweepReportHtml(const SweepReport& report, const std::string& path)
{
    charts::ensureGuiApplication();
    std::vector<ReportChart> charts = buildReportCharts(report);
    writeTextFileAtomically(path, sweepReportHtml(report, charts).toStdString());
}

} // namespace circnn::report
