/**
 * Paper vs backtest, per trade: match every paper fill of an agent (from the journal) to the
 * backtest's fill on the same bar and explain each difference.
 *
 * Backtest fills are derived from a `BacktestResult` (`lib/backtest`): the action decided on
 * bar `time[t]` changes the position from `position[t]` to `position[t + 1]` and fills at
 * that bar's close `price[t]` moved against the trader by the slippage (the env's fill
 * convention); see {@link backtestFills} for the end-of-data close. A liquidation inside a bar
 * also shows as a change.
 *
 * Explanations, in the order they are tried:
 * - `guard: <rule>` — the paper decision on that bar was blocked by a risk rule, or the paper
 *   fill came from an exit/watchdog/kill switch (`exited`);
 * - `smoothing` — the EMA-smoothed action differed from the raw one (`smoothed_away`);
 * - `rejected: <reason>` — the broker refused the order;
 * - `partial fill` — the paper order filled less than its quantity;
 * - `latency` — the paper fill is on a later bar than its decision (a resting or late fill);
 * - `price` — same bar and size, another price (a different fill model, e.g. quotes);
 * - `size` — same bar, another size;
 * - `follows the difference at <time>` — after the first difference the two positions differ,
 *   so later fills differ as a consequence (not a new cause).
 *
 * Times UTC ms; sizes in base units; prices in quote currency.
 *
 * @module
 */
import { backtest, type BacktestResult } from "../backtest/mod.ts";
import { sliceMarketData } from "../data/mod.ts";
import { computeFeatures } from "../features/mod.ts";
import { FuturesTradingEnv } from "../env/mod.ts";

import { Journal } from "./journal.ts";
import { ConfigError } from "../util/mod.ts";
import type { PaperSessionResult } from "./paper_session.ts";

/** A fill on one side of the comparison. */
export interface ComparedFill {
  /** Bar open time of the decision, UTC ms. */
  time: number;
  /** Side. */
  side: "buy" | "sell";
  /** Size, base units. */
  size: number;
  /** Fill price (size-weighted over the bar's fills). */
  price: number;
}

/** One row of the report. */
export interface DivergenceRow {
  /** Decision bar, UTC ms. */
  time: number;
  /** The paper fill (summed over the bar's orders of that side), or null. */
  paper: ComparedFill | null;
  /** The backtest fill, or null. */
  backtest: ComparedFill | null;
  /** `match` or the explanation (see the module docs). */
  explanation: string;
}

/** The report. */
export interface DivergenceReport {
  /** Agent. */
  agent: string;
  /** Every bar where either side filled, in time order. */
  rows: DivergenceRow[];
  /** Rows that match (same bar, side, size and price within the tolerances). */
  matched: number;
  /** Rows that differ. */
  differing: number;
  /** Count of each explanation. */
  byExplanation: Record<string, number>;
}

/**
 * Backtest fills per decision bar (see the module docs); `slippage` is a fraction. The env's
 * end-of-data close happens in the same step as the last decision, so the two cannot be told
 * apart from the result: backtest with an env built with `closeAtEnd: false` and pass
 * `endClose: true` to add the close of the final position at the last bar's close.
 */
export function backtestFills(
  result: BacktestResult,
  options: { slippage: number; endClose?: boolean },
): ComparedFill[] {
  const out: ComparedFill[] = [];
  const push = (at: number, d: number) => {
    if (d === 0) return;
    const dir = d > 0 ? 1 : -1;
    out.push({
      time: result.time[at],
      side: dir > 0 ? "buy" : "sell",
      size: Math.abs(d),
      price: result.price[at] * (1 + options.slippage * dir),
    });
  };
  const n = result.steps;
  for (let t = 0; t < n; t++) push(t, result.position[t + 1] - result.position[t]);
  // the env's end-of-data close at the last bar's close (see the docs of `endClose`)
  if (options.endClose && n > 0) push(n, -result.position[n]);
  return out;
}

const key = (time: number, side: string) => `${time}|${side}`;

/**
 * Compare the journal's fills of `agent` with `backtest` fills (see the module docs).
 * `relSize` and `relPrice` are the relative tolerances of a match (default 1e-9 and 1e-8: the
 * same fill model agrees to the last bits, up to float rounding of a scale-in).
 */
export function divergenceReport(
  journal: Journal,
  backtest: ComparedFill[],
  options: { agent: string; relSize?: number; relPrice?: number },
): DivergenceReport {
  const agent = options.agent;
  const relSize = options.relSize ?? 1e-9;
  const relPrice = options.relPrice ?? 1e-8;
  // paper fills per decision bar (the order's created time is its decision bar)
  const paper = new Map<string, ComparedFill & { lateMs: number; partial: boolean; why: string }>();
  const orders = new Map<string, { created: number; qty: number; reason: string | null }>();
  for (const f of journal.fills({ agent })) {
    let o = orders.get(f.clientOrderId);
    if (!o) {
      const row = journal.order(f.clientOrderId);
      o = {
        created: row?.createdMs ?? f.tsMs,
        qty: row?.qty ?? f.qty,
        reason: row?.reason ?? null,
      };
      orders.set(f.clientOrderId, o);
    }
    const k = key(o.created, f.side);
    const p = paper.get(k) ??
      { time: o.created, side: f.side, size: 0, price: 0, lateMs: 0, partial: false, why: "" };
    p.price = (p.price * p.size + f.price * f.qty) / (p.size + f.qty);
    p.size += f.qty;
    p.lateMs = Math.max(p.lateMs, f.tsMs - o.created);
    p.why = o.reason ?? "";
    paper.set(k, p);
  }
  for (const [cid, o] of orders) {
    const filled = journal.fills({ agent }).filter((f) => f.clientOrderId === cid)
      .reduce((s, f) => s + f.qty, 0);
    if (filled < o.qty * (1 - 1e-9)) {
      for (const side of ["buy", "sell"]) {
        const p = paper.get(key(o.created, side));
        if (p) p.partial = true;
      }
    }
  }
  const decisions = new Map<number, { kind: string; reason: string | null }[]>();
  for (const d of journal.lastDecisions(1e9, { agent })) {
    const l = decisions.get(d.barTimeMs) ?? [];
    l.push({ kind: d.decision, reason: d.reason ?? null });
    decisions.set(d.barTimeMs, l);
  }
  const bt = new Map(backtest.map((b) => [key(b.time, b.side), b]));
  const keys = [...new Set([...paper.keys(), ...bt.keys()])].sort((a, b) =>
    Number(a.split("|")[0]) - Number(b.split("|")[0]) || a.localeCompare(b)
  );
  const rows: DivergenceRow[] = [];
  const by: Record<string, number> = {};
  let matched = 0;
  let firstDiff: number | null = null;
  const close = (a: number, b: number, rel: number) =>
    Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300);
  for (const k of keys) {
    const p = paper.get(k) ?? null;
    const b = bt.get(k) ?? null;
    const time = Number(k.split("|")[0]);
    const ds = decisions.get(time) ?? [];
    let why: string;
    const blocked = ds.find((d) => d.kind === "blocked");
    const exited = ds.find((d) => d.kind === "exited");
    const smoothed = ds.find((d) => d.kind === "smoothed_away");
    if (p && b && close(p.size, b.size, relSize) && close(p.price, b.price, relPrice)) {
      why = "match";
    } else if (b && !p && blocked) why = `guard: ${blocked.reason?.split(":")[0] ?? "risk"}`;
    else if (b && !p && exited) why = `guard: ${exited.reason ?? "exit"}`;
    else if (p && !b && exited) why = `guard: ${exited.reason ?? "exit"}`;
    else if (smoothed && !p) why = "smoothing";
    else if (p?.partial) why = "partial fill";
    else if (p && p.lateMs > 0) why = "latency";
    else if (p && b && close(p.size, b.size, relSize)) why = "price";
    else if (p && b) why = "size";
    else if (!p && b) why = "no paper fill";
    else why = p?.why ? `paper only: ${p.why}` : "paper only";
    // once the two sides' positions differ, later differences follow from the first one
    if (firstDiff !== null && !why.startsWith("guard") && why !== "match" && why !== "smoothing") {
      why = `follows the difference at ${new Date(firstDiff).toISOString()}`;
    }
    if (why !== "match" && firstDiff === null) firstDiff = time;
    if (why === "match") matched++;
    by[why] = (by[why] ?? 0) + 1;
    rows.push({
      time,
      paper: p ? { time: p.time, side: p.side, size: p.size, price: p.price } : null,
      backtest: b,
      explanation: why,
    });
  }
  return { agent, rows, matched, differing: rows.length - matched, byExplanation: by };
}

/** The backtest and the divergence report of one agent of a session. */
export interface SessionComparison {
  /** Agent. */
  agent: string;
  /** The backtest of the same run over the same bars (env without signals, like the loop). */
  backtest: BacktestResult;
  /** Per-trade comparison with the journal. */
  report: DivergenceReport;
}

/**
 * Backtest every run of a finished session over the session's own bars (the same window,
 * features computed on it, the same deterministic decisions of the loaded run, ML-signal
 * inputs 0 as in the loop) and compare per trade with the journal.
 */
export function compareWithBacktest(session: PaperSessionResult): SessionComparison[] {
  const { market, window, policies } = session;
  if (!market) {
    throw new ConfigError("a live-feed session has no recorded bars to backtest on", {
      parameter: "session",
    }, "compare replay sessions, or record the live bars to a file and replay it");
  }
  const bars = sliceMarketData(market, window.from, window.to);
  const features = computeFeatures(bars);
  const journal = Journal.open(session.journal, { readOnly: true });
  try {
    return policies.map((run) => {
      // closeAtEnd false: the end close is added by backtestFills (see its docs)
      const env = new FuturesTradingEnv({
        market: bars,
        features,
        trading: run.trading,
        closeAtEnd: false,
      });
      const policy: Parameters<typeof backtest>[0] = {
        name: run.name,
        act(obs, options = {}) {
          const d = run.decide(obs, options.masks ?? new Uint8Array(6).fill(1));
          return {
            actions: Float64Array.of(d.action),
            logProb: new Float64Array(1),
            value: new Float64Array(1),
          };
        },
        reset: () => run.reset(),
      };
      const open = backtest(policy, env, { periodsPerYear: env.periodsPerYear, name: run.name });
      const report = divergenceReport(
        journal,
        backtestFills(open, { slippage: env.account.config.slippage, endClose: true }),
        { agent: run.name },
      );
      // the backtest as reported (the env closes the final position itself)
      const closing = new FuturesTradingEnv({ market: bars, features, trading: run.trading });
      const bt = backtest(policy, closing, {
        periodsPerYear: closing.periodsPerYear,
        name: run.name,
      });
      return { agent: run.name, backtest: bt, report };
    });
  } finally {
    journal.close();
  }
}
