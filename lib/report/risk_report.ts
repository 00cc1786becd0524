/**
 * Reports of the guardrails (`lib/risk`) on backtests: the interventions as a table and over
 * time, their counts by rule, the metrics with and without the guards side by side, and the
 * one sentence that says what the guards did to the return (computed from the numbers).
 *
 * @module
 */
import type { BacktestResult } from "../backtest/mod.ts";
import type { RiskEvent } from "../risk/mod.ts";
import type { PlotlyFigure } from "./display.ts";

/** A result with interventions (a guarded {@link BacktestResult} qualifies). */
export interface WithRiskEvents {
  /** Name in the legend. */
  name: string;
  /** Interventions in time order. */
  riskEvents: readonly RiskEvent[];
}

/** A policy's backtest without and with the guards on the same split. */
export interface GuardPair {
  /** Policy name (e.g. "baseline", "PPO"). */
  name: string;
  /** The unguarded backtest. */
  without: BacktestResult;
  /** The same policy under the guards. */
  with: BacktestResult;
}

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

function iso(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

function pct(x: number | null | undefined, d = 2): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : +(x * 100).toFixed(d);
}

function r2(x: number | null | undefined): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : +x.toFixed(2);
}

/** Options of {@link riskEventRows}. */
export interface RiskEventRowsOptions {
  /** Rows shown (default 50). */
  limit?: number;
  /**
   * Merge runs of consecutive events with the same rule and reason (e.g. an entry denied on
   * every bar of a halted session) into one row with their count and time span. Default true.
   */
  collapse?: boolean;
}

/** The interventions of one result as display rows (times UTC). */
export function riskEventRows(
  result: WithRiskEvents,
  options: RiskEventRowsOptions = {},
): Record<string, unknown>[] {
  const limit = options.limit ?? 50;
  const collapse = options.collapse ?? true;
  const rows: Record<string, unknown>[] = [];
  const ev = result.riskEvents;
  for (let i = 0; i < ev.length && rows.length < limit;) {
    let j = i + 1;
    if (collapse) {
      while (j < ev.length && ev[j].rule === ev[i].rule && ev[j].reason === ev[i].reason) j++;
    }
    rows.push({
      "#": rows.length + 1,
      time: iso(ev[i].timeMs),
      ...(collapse ? { until: j - i > 1 ? iso(ev[j - 1].timeMs) : "", times: j - i } : {}),
      rule: ev[i].rule,
      reason: ev[i].reason,
    });
    i = j;
  }
  return rows;
}

/** Interventions counted by rule, one column per result (rules in first-seen order). */
export function riskCountRows(results: readonly WithRiskEvents[]): Record<string, unknown>[] {
  const rules: string[] = [];
  const counts = results.map((r) => {
    const c: Record<string, number> = {};
    for (const e of r.riskEvents) {
      if (!(e.rule in c) && !rules.includes(e.rule)) rules.push(e.rule);
      c[e.rule] = (c[e.rule] ?? 0) + 1;
    }
    return c;
  });
  const rows = rules.map((rule) => {
    const row: Record<string, unknown> = { rule };
    results.forEach((r, i) => (row[r.name] = counts[i][rule] ?? 0));
    return row;
  });
  const total: Record<string, unknown> = { rule: "total" };
  results.forEach((r) => (total[r.name] = r.riskEvents.length));
  rows.push(total);
  return rows;
}

/**
 * The interventions over time: one marker per event at (time, rule), one colour per result,
 * the reason on hover. Rules are the y categories, so bursts (a halted day, a ladder run)
 * show as dense rows.
 */
export function riskEventsFigure(
  results: readonly WithRiskEvents[],
  options: { title?: string; height?: number } = {},
): PlotlyFigure {
  const data = results.map((r, i) => ({
    type: "scatter",
    mode: "markers",
    name: `${r.name} (${r.riskEvents.length})`,
    x: r.riskEvents.map((e) => e.timeMs),
    y: r.riskEvents.map((e) => e.rule),
    text: r.riskEvents.map((e) => e.reason),
    hovertemplate: "%{x|%Y-%m-%d %H:%M}<br>%{text}<extra>" + r.name + "</extra>",
    marker: { size: 7, symbol: "line-ns-open", color: COLORS[i % COLORS.length] },
  }));
  return {
    data,
    layout: {
      title: options.title ?? "Guardrail interventions over time",
      xaxis: { type: "date", title: "time (UTC)" },
      yaxis: { title: "rule", type: "category" },
      height: options.height ?? 320,
      legend: { orientation: "h" },
    },
  };
}

/** Metrics of each policy without and with the guards, side by side (percent columns `%`). */
export function guardComparisonRows(pairs: readonly GuardPair[]): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const p of pairs) {
    for (const [label, r] of [["without", p.without], ["with", p.with]] as const) {
      const m = r.metrics;
      rows.push({
        policy: p.name,
        guards: label,
        "return %": pct(m.totalReturn),
        Sharpe: r2(m.sharpe),
        "max DD %": pct(m.maxDrawdown),
        trades: m.trades.trades,
        "win rate %": m.trades.trades > 0 ? pct(m.trades.wins / m.trades.trades, 1) : null,
        "exposure %": pct(m.exposure, 1),
        interventions: r.riskEvents.length,
      });
    }
  }
  return rows;
}

/**
 * One plain sentence on what the guards did to a policy's return, from the numbers: e.g.
 * "baseline: the guards cost return: +12.31 % without them, +8.02 % with them (−4.29
 * percentage points); max drawdown −9.10 % → −6.42 %; 37 interventions." Equal returns say
 * so ("the guards did not change the return"), a higher return says the guards added it.
 */
export function guardCostSentence(pair: GuardPair): string {
  const a = pair.without.metrics;
  const b = pair.with.metrics;
  const f = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x * 100).toFixed(2)} %`;
  const dd = (x: number) => `${x < 0 ? "−" : ""}${Math.abs(x * 100).toFixed(2)} %`;
  const diff = b.totalReturn - a.totalReturn;
  const n = pair.with.riskEvents.length;
  const tail = `; max drawdown ${dd(a.maxDrawdown)} → ${dd(b.maxDrawdown)}; ${n} intervention${
    n === 1 ? "" : "s"
  }.`;
  if (Math.abs(diff) < 5e-5) {
    return `${pair.name}: the guards did not change the return (${f(a.totalReturn)})${tail}`;
  }
  const pp = `${diff >= 0 ? "+" : "−"}${Math.abs(diff * 100).toFixed(2)} percentage points`;
  const verdict = diff < 0 ? "the guards cost return" : "the guards added return";
  return `${pair.name}: ${verdict}: ${f(a.totalReturn)} without them, ${
    f(b.totalReturn)
  } with them (${pp})${tail}`;
}
