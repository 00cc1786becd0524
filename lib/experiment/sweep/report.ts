/**
 * The sweep's self-contained HTML report: the group table (mean ± std [bootstrap interval]),
 * the paired comparisons, the walk-forward view, the per-cell table with errors, and two
 * plotly figures (the headline metric per group with one point per cell; the headline metric
 * per fold). plotly.js is inlined from the string the caller passes (the CLI reads the local
 * package through `lib/report`): the page references no URL and works offline. Without it,
 * the report has tables only.
 *
 * @module
 */
import type { MetricStats, SweepResults } from "./aggregate.ts";
import type { SweepManifest } from "./manifest.ts";

/** Options of {@link sweepReportHtml}. */
export interface SweepReportOptions {
  /** The plotly.js bundle's source, inlined in a `<script>` (omit: tables only). */
  plotlyJs?: string;
  /** Metrics shown in the tables and figures (default: see {@link headlineMetrics}). */
  metrics?: string[];
}

/** Metrics shown by default: evaluation Sharpe/return when present, else validation ones. */
export function headlineMetrics(results: SweepResults): string[] {
  const names = results.metricNames;
  const pick = (re: RegExp) => names.filter((n) => re.test(n));
  const evalPicks = pick(/^evaluation\..*\.(sharpe|totalReturn)$/).slice(0, 6);
  const val = [
    "validation.final.sharpe",
    "validation.final.totalReturn",
    "validation.best.sharpe",
    "validation.random.sharpe",
  ].filter((n) => names.includes(n));
  return [...evalPicks, ...val, ...(names.includes("train.seconds") ? ["train.seconds"] : [])];
}

function esc(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll(
    '"',
    "&quot;",
  );
}

function n(v: number | null | undefined, d = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(d);
}

function stat(s: MetricStats | undefined): string {
  if (!s || s.n === 0) return "n/a";
  const ci = s.ci ? ` [${n(s.ci.low)}, ${n(s.ci.high)}]` : "";
  return `${n(s.mean)} ± ${n(s.std)}${ci} <small>(n=${s.n})</small>`;
}

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join("")}</tr>`).join("")
  }</tbody></table>`;
}

/** Safe JSON inside a `<script>` element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, "\\u003c");
}

/** Render the report page (a complete HTML document). */
export function sweepReportHtml(
  results: SweepResults,
  manifest: SweepManifest,
  options: SweepReportOptions = {},
): string {
  const metrics = options.metrics ?? headlineMetrics(results);
  const counts = new Map<string, number>();
  for (const c of manifest.cells) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  const parts: string[] = [];
  parts.push(`<h1>Sweep ${esc(results.name)}</h1>`);
  parts.push(
    `<p>${manifest.cells.length} cells (${
      [...counts].map(([k, v]) => `${v} ${k}`).join(", ")
    }); mode ${manifest.mode}; groups by ${
      esc(results.groupBy.join(", ") || "(none)")
    }. Cells: mean ± sample std [${
      results.bootstrap.level * 100
    } % percentile-bootstrap interval of the mean, ${results.bootstrap.resamples} resamples, seed ${results.bootstrap.seed}]. Sharpe is annualised; totalReturn is a fraction (0.01 = 1 %).</p>`,
  );
  parts.push("<h2>Groups</h2>");
  parts.push(table(
    ["group", "cells", ...metrics],
    results.groups.map((g) => [
      esc(g.group),
      `${g.completed}/${g.cells}`,
      ...metrics.map((m) => stat(g.metrics[m])),
    ]),
  ));
  if (results.comparisons.length > 0) {
    parts.push("<h2>Paired RL − baseline (same run, per fold)</h2>");
    parts.push(table(
      ["group", "fold", "rl", "baseline", "mean diff ± std [interval]", "wins"],
      results.comparisons.map((c) => [
        esc(c.group),
        esc(String(c.fold)),
        esc(c.rl),
        esc(c.baseline),
        stat(c.diff),
        `${c.wins}/${c.diffs.length}`,
      ]),
    ));
  }
  if (results.walkForward.length > 0) {
    parts.push("<h2>Walk-forward (group × fold)</h2>");
    parts.push(table(
      ["group", "fold", ...metrics],
      results.walkForward.map((w) => [
        esc(w.group),
        esc(String(w.fold)),
        ...metrics.map((m) => stat(w.metrics[m])),
      ]),
    ));
  }
  const figs: { id: string; data: unknown[]; layout: Record<string, unknown> }[] = [];
  const head = metrics[0];
  if (options.plotlyJs && head) {
    const byGroup = new Map<string, { x: string[]; y: number[]; text: string[] }>();
    for (const c of results.cells) {
      const v = c.metrics[head];
      if (typeof v !== "number") continue;
      const t = byGroup.get(c.group) ?? { x: [], y: [], text: [] };
      t.x.push(c.group);
      t.y.push(v);
      t.text.push(c.label);
      byGroup.set(c.group, t);
    }
    figs.push({
      id: "fig-groups",
      data: [...byGroup.entries()].map(([g, t]) => ({
        type: "box",
        name: g,
        x: t.x,
        y: t.y,
        text: t.text,
        boxpoints: "all",
        jitter: 0.3,
        pointpos: 0,
      })),
      layout: { title: { text: `${head} per group (one point per cell)` }, showlegend: false },
    });
    if (results.walkForward.length > 0) {
      const lines = new Map<string, { x: string[]; y: (number | null)[] }>();
      for (const w of results.walkForward) {
        const t = lines.get(w.group) ?? { x: [], y: [] };
        t.x.push(String(w.fold));
        t.y.push(w.metrics[head]?.mean ?? null);
        lines.set(w.group, t);
      }
      figs.push({
        id: "fig-folds",
        data: [...lines.entries()].map(([g, t]) => ({
          type: "scatter",
          mode: "lines+markers",
          name: g,
          x: t.x,
          y: t.y,
        })),
        layout: {
          title: { text: `${head} per fold (mean over seeds)` },
          xaxis: { type: "category" },
        },
      });
    }
    for (const f of figs) parts.push(`<div id="${f.id}" style="height:420px"></div>`);
  }
  parts.push("<h2>Cells</h2>");
  parts.push(table(
    ["id", "label", "status", ...metrics, "last error"],
    results.cells.map((c) => [
      `<code>${esc(c.id)}</code>`,
      esc(c.label),
      esc(c.status),
      ...metrics.map((m) => n(c.metrics[m])),
      esc(c.errors.at(-1) ?? ""),
    ]),
  ));
  const script = options.plotlyJs && figs.length > 0
    ? `<script>${options.plotlyJs}</script><script>const FIGS=${
      scriptJson(figs)
    };for(const f of FIGS){Plotly.newPlot(f.id,f.data,f.layout,{responsive:true,displaylogo:false});}</script>`
    : "";
  return `<!doctype html><html><head><meta charset="utf-8"><title>Sweep ${
    esc(results.name)
  }</title><style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:1em 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}td:first-child,th:first-child{text-align:left}small{color:#666}</style></head><body>${
    parts.join("\n")
  }${script}</body></html>`;
}
