/**
 * The evaluation of a run (`evaluateRun` in lib/experiment) as a printed table, display rows
 * and a self-contained HTML report (plotly.js inlined, no CDN, opens offline), written beside
 * `evaluation.json` as `evaluation.html`.
 *
 * @module
 */
import type { RunEvaluation } from "../experiment/mod.ts";
import { formatComparisonTable } from "../backtest/mod.ts";
import { writeFileAtomic } from "../util/mod.ts";
import { escapeHtml, showPlot, showTable } from "./display.ts";
import { drawdownFigure, equityFigure } from "./figures_backtest.ts";
import { bootstrapRows, comparisonRows } from "./tables_backtest.ts";

type Row = Record<string, unknown>;

/** The targets table as display rows: one row per target, one column per strategy. */
export function evaluationTargetRows(ev: RunEvaluation): Row[] {
  const first = ev.targets[0]?.checks ?? [];
  return first.map((c, i) => {
    const row: Row = { metric: c.metric, target: c.target };
    for (const t of ev.targets) {
      const x = t.checks[i];
      row[t.name] = `${x.display} ${x.met ? "✓" : "✗"}`;
    }
    row.note = ev.targets.map((t) => t.checks[i].note).find((n) => n) ?? "";
    return row;
  });
}

/** The readable text `deno task evaluate` prints: header, comparison table, bootstrap, conclusion. */
export function evaluationText(ev: RunEvaluation): string {
  const j = ev.json;
  const d = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
  const lines = [
    `run ${ev.runDir} — ${ev.split} split: ${d(j.window.start)} → ${d(j.window.end)} UTC, ` +
    `${j.window.bars} bars (${j.window.days.toFixed(1)} days), data ${j.data.source}`,
    j.env === "options"
      ? "options env: a Box(−1, 1) action (no masks)"
      : `models act with invalid actions ${
        j.maskActions ? "masked (MaskablePPO-style)" : "unmasked (no-ops in the env)"
      }`,
    `guards: risk ${JSON.stringify(j.guards.risk)}, exits ${JSON.stringify(j.guards.exits)}, ` +
    `smoothing ${j.guards.smoothing ?? "off"}`,
    "",
    formatComparisonTable(ev.rows, { minTrades: j.rules.minTrades }),
    "",
  ];
  if (j.bootstrap.length) {
    lines.push(
      `vs the ${
        j.baseline ?? "fixed-rule baseline"
      } (paired stationary bootstrap of the Sharpe difference):`,
    );
    for (const b of j.bootstrap) {
      lines.push(
        `  ${b.run}: Sharpe ${b.sharpeRl.toFixed(2)} vs ${b.sharpeBaseline.toFixed(2)}, ` +
          `difference ${b.difference.toFixed(2)} (${Math.round(b.confidence * 100)} % CI ` +
          `${b.ciLow.toFixed(2)} to ${b.ciHigh.toFixed(2)}, p = ${b.pValue.toFixed(3)})`,
      );
    }
    lines.push("");
  }
  if (j.conclusion) lines.push(j.conclusion, "");
  const missed = j.targets.filter((t) => t.display.startsWith("n/a (")).length;
  lines.push(
    `targets: ${ev.rows.map((r) => `${r.name} ${r.targetsMet}/${r.targetsTotal}`).join(", ")}` +
      (missed ? ` (${missed} cells n/a: too few trades or too short a window)` : ""),
  );
  for (const n of ev.notes) lines.push(`note: ${n}`);
  return lines.join("\n");
}

/** A self-contained HTML document of the evaluation (plotly.js inlined once). */
export function evaluationReportHtml(ev: RunEvaluation): string {
  const j = ev.json;
  const curves = ev.runs.map((r) => ({
    name: r.name,
    time: r.result.time,
    equity: r.result.equity,
  }));
  const title = `Evaluation of ${ev.runDir} on the ${ev.split} split`;
  const html = (x: { bundle: Record<string, string> }) => x.bundle["text/html"];
  const parts = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p>${escapeHtml(evaluationText(ev).split("\n")[0])}</p>`,
    `<p>${escapeHtml(j.conclusion ?? "")}</p>`,
    html(
      showPlot(equityFigure(curves, { normalise: true, title: "Equity (growth of 1)" }), {
        includeLibrary: true,
      }),
    ),
    html(showPlot(drawdownFigure(curves), { includeLibrary: false })),
    "<h2>Comparison</h2>",
    html(showTable(comparisonRows(ev.rows))),
    `<p>Sharpe and Sortino annualised (${
      j.data.periodsPerYear.toLocaleString("en-US")
    } bars per year), measured on ${j.window.days.toFixed(1)} days. CAGR only on windows of ` +
    `at least ${j.rules.minAnnualiseDays} days; win rate, profit factor and payoff only with ` +
    `at least ${j.rules.minTrades} trades. Ruin: ${escapeHtml(j.rules.ruinRule)}.</p>`,
    "<h2>Specification targets</h2>",
    html(showTable(evaluationTargetRows(ev))),
  ];
  if (ev.vsBaseline) {
    parts.push(
      `<h2>Against the ${escapeHtml(j.baseline ?? "fixed-rule baseline")}</h2>`,
      html(showTable(bootstrapRows(ev.vsBaseline))),
    );
  }
  if (ev.notes.length) {
    parts.push(
      "<h2>Notes</h2>",
      `<ul>${ev.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`,
    );
  }
  return `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${
    escapeHtml(title)
  }</title><style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}` +
    `table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd}</style>` +
    `</head><body>\n${parts.join("\n")}\n</body></html>\n`;
}

/** Write {@link evaluationReportHtml} to `<run>/evaluation.html` atomically; returns the path. */
export async function writeEvaluationReport(ev: RunEvaluation): Promise<string> {
  const path = `${ev.runDir}/evaluation.html`;
  await writeFileAtomic(path, evaluationReportHtml(ev));
  return path;
}
