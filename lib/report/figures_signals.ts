/**
 * Plotly figure builders and table rows for the signal diagnostics (used by notebook 02).
 *
 * @module
 */

import type { MarketData } from "../data/mod.ts";
import type { PlotlyFigure } from "./display.ts";
import {
  type ClassificationReport,
  SIGNAL_CLASSES,
  type SignalDiagnostics,
  type SignalModel,
} from "../signals/mod.ts";
import type { Signals } from "../env/mod.ts";
import { LEGEND_RIGHT } from "./_style.ts";

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Walk-forward timeline: per fold, the training range, the purge + embargo gap and the test
 * window, on the time axis.
 */
export function walkForwardTimelineFigure(
  model: SignalModel,
  time: ArrayLike<number>,
): PlotlyFigure {
  const seg = (name: string, color: string, pick: (k: number) => [number, number] | null) => {
    const x: (string | null)[] = [];
    const y: (string | null)[] = [];
    model.folds.forEach((f, k) => {
      const r = pick(k);
      if (!r || r[1] <= r[0]) return;
      x.push(iso(time[r[0]]), iso(time[r[1] - 1]), null);
      y.push(`fold ${f.index}`, `fold ${f.index}`, null);
    });
    return { type: "scatter", mode: "lines", x, y, name, line: { width: 14, color } };
  };
  const f = model.folds;
  return {
    data: [
      seg("train", "#4c78a8", (k) => [f[k].train.start, f[k].train.end]),
      seg(
        `purge ${model.config.horizon} + embargo ${model.config.embargo} bars`,
        "#f58518",
        (k) => [f[k].train.end, f[k].test.start],
      ),
      seg("test (out-of-sample predictions)", "#54a24b", (k) => [f[k].test.start, f[k].test.end]),
    ],
    layout: {
      title: "Walk-forward folds (expanding window)",
      height: 120 + 40 * f.length,
      yaxis: { autorange: "reversed" },
      legend: LEGEND_RIGHT,
    },
  };
}

/** Confusion matrix heatmap, rows = true class, normalised per row (recall). */
export function confusionMatrixFigure(
  report: ClassificationReport,
  options: { title?: string } = {},
): PlotlyFigure {
  const z = report.confusion.map((row) => {
    const s = row[0] + row[1] + row[2];
    return row.map((v) => (s > 0 ? Math.round((1000 * v) / s) / 10 : null));
  });
  return {
    data: [{
      type: "heatmap",
      z,
      x: SIGNAL_CLASSES.map((c) => `pred ${c}`),
      y: SIGNAL_CLASSES.map((c) => `true ${c}`),
      colorscale: "Blues",
      zmin: 0,
      zmax: 100,
      texttemplate: "%{z} %",
      customdata: report.confusion,
      hovertemplate: "%{y} / %{x}: %{z} % of the row (%{customdata} bars)<extra></extra>",
    }],
    layout: {
      title: options.title ?? `Confusion matrix, % of each true class (n = ${report.count})`,
      height: 380,
      yaxis: { autorange: "reversed" },
    },
  };
}

/** Reliability diagram: accuracy vs mean confidence per bin (bubble size = count). */
export function calibrationFigure(report: ClassificationReport): PlotlyFigure {
  const bins = report.calibration.filter((b) => b.count > 0);
  const maxCount = Math.max(1, ...bins.map((b) => b.count));
  return {
    data: [
      {
        type: "scatter",
        mode: "lines",
        x: [0, 1],
        y: [0, 1],
        name: "perfect calibration",
        line: { dash: "dash", color: "#999" },
      },
      {
        type: "scatter",
        mode: "lines+markers",
        x: bins.map((b) => b.meanConfidence),
        y: bins.map((b) => b.accuracy),
        text: bins.map((b) => `${b.count} bars`),
        marker: { size: bins.map((b) => 6 + 24 * Math.sqrt(b.count / maxCount)) },
        name: "model",
      },
    ],
    layout: {
      title: "Calibration (reliability bins of the confidence = max class probability)",
      height: 420,
      xaxis: { title: "mean confidence", range: [0.3, 1] },
      yaxis: { title: "accuracy", range: [0, 1] },
    },
  };
}

/** Accuracy and balanced accuracy per fold: model vs majority class vs sign of last return. */
export function foldAccuracyFigure(d: SignalDiagnostics): PlotlyFigure {
  const x = d.perFold.map((p) => `fold ${p.fold}`);
  const bar = (name: string, y: number[], color: string, yaxis = "y") => ({
    type: "bar",
    x,
    y: y.map((v) => 100 * v),
    name,
    marker: { color },
    yaxis,
    xaxis: yaxis === "y" ? "x" : "x2",
    showlegend: yaxis === "y",
    legendgroup: name,
  });
  return {
    data: [
      bar("model", d.perFold.map((p) => p.model.accuracy), "#4c78a8"),
      bar("majority class", d.perFold.map((p) => p.majority.accuracy), "#bab0ac"),
      bar("sign of last return", d.perFold.map((p) => p.lastReturnSign.accuracy), "#f58518"),
      bar("model", d.perFold.map((p) => p.model.balancedAccuracy), "#4c78a8", "y2"),
      bar("majority class", d.perFold.map((p) => p.majority.balancedAccuracy), "#bab0ac", "y2"),
      bar(
        "sign of last return",
        d.perFold.map((p) => p.lastReturnSign.balancedAccuracy),
        "#f58518",
        "y2",
      ),
    ],
    layout: {
      title: "Out-of-sample accuracy per fold (left) and balanced accuracy (right), %",
      barmode: "group",
      height: 420,
      xaxis: { domain: [0, 0.47] },
      xaxis2: { domain: [0.53, 1], anchor: "y2" },
      yaxis: { title: "accuracy %", rangemode: "tozero" },
      yaxis2: { title: "balanced accuracy %", anchor: "x2", rangemode: "tozero" },
      legend: LEGEND_RIGHT,
    },
  };
}

/** Table rows: the model and each baseline over all out-of-sample rows. */
export function diagnosticsRows(d: SignalDiagnostics): Record<string, unknown>[] {
  const row = (name: string, r: ClassificationReport) => ({
    predictor: name,
    rows: r.count,
    accuracy_pct: 100 * r.accuracy,
    balanced_accuracy_pct: 100 * r.balancedAccuracy,
    log_loss: r.logLoss,
  });
  return [
    row("model (out-of-sample)", d.model),
    row("majority class of training fold", d.majority),
    row("sign of last bar's return", d.lastReturnSign),
  ];
}

/** Per-fold table rows (model and baselines). */
export function foldRows(model: SignalModel, d: SignalDiagnostics): Record<string, unknown>[] {
  return d.perFold.map((p, k) => {
    const f = model.folds[k];
    return {
      fold: p.fold,
      train_rows: f.trainRows,
      test_start: iso(f.times.testStart),
      test_last: iso(f.times.testLast),
      accuracy_pct: 100 * p.model.accuracy,
      majority_pct: 100 * p.majority.accuracy,
      last_return_pct: 100 * p.lastReturnSign.accuracy,
      balanced_pct: 100 * p.model.balancedAccuracy,
      log_loss: p.model.logLoss,
      majority_log_loss: p.majority.logLoss,
    };
  });
}

/** Close price on a window with up/down signal markers where confidence ≥ `minConfidence`. */
export function signalsOnPriceFigure(
  md: MarketData,
  signals: Signals,
  options: { start?: number; end?: number; minConfidence?: number } = {},
): PlotlyFigure {
  const end = options.end ?? md.time.length;
  const start = options.start ?? Math.max(0, end - 1500);
  const minC = options.minConfidence ?? 0.5;
  const t: string[] = [];
  const c: number[] = [];
  const up: [string[], number[]] = [[], []];
  const down: [string[], number[]] = [[], []];
  for (let i = start; i < end; i++) {
    const ts = iso(md.time[i]);
    t.push(ts);
    c.push(md.close[i]);
    if (signals.available[i] !== 1 || !(signals.confidence[i] >= minC)) continue;
    if (signals.signal[i] === 2) {
      up[0].push(ts);
      up[1].push(md.close[i]);
    } else if (signals.signal[i] === 0) {
      down[0].push(ts);
      down[1].push(md.close[i]);
    }
  }
  return {
    data: [
      { type: "scatter", x: t, y: c, name: "close", line: { width: 1, color: "#555" } },
      {
        type: "scatter",
        mode: "markers",
        x: up[0],
        y: up[1],
        name: `up (conf ≥ ${minC})`,
        marker: { symbol: "triangle-up", color: "#2ca02c", size: 7 },
      },
      {
        type: "scatter",
        mode: "markers",
        x: down[0],
        y: down[1],
        name: `down (conf ≥ ${minC})`,
        marker: { symbol: "triangle-down", color: "#d62728", size: 7 },
      },
    ],
    layout: {
      title: "Out-of-sample signals on price (last bars)",
      height: 420,
      legend: LEGEND_RIGHT,
    },
  };
}
