/**
 * Paper vs backtest, per trade: match every paper fill of an agent (from the journal) to the
 * backtest's fill on the same bar and explain each difference.
 *
 * Backtest fills are derived from a `BacktestResult` (`lib/backtest`): the action decided on
 * bar `time[t]` changes the position from `position[t]` to `position[t + 1]` and fills at
 * that bar's close `price[t]` moved against the trader by the slippage (the env's fill
 * convention); the env's end-of-data close is the last change. A liquidation inside a bar
 * also shows as a change (explained as such when the journal has no matching order).
 *
 * Explanations, in the order they are tried:
 * - `guard: <rule>` — the paper decision on that bar was blocked by a risk rule, or the paper
 *   fill came from an exit/watchdog/kill switch (`exited`);
 * - `smoothing` — the EMA-smoothed action differed from the raw one (`smoothed_away`);
 * - `rejected: <reason>` — the broker refused the order;
 * - `partial fill` — the paper order filled less than its quantity;
 * - `latency` — the paper fill is on a later bar than its decision (a resting or late fill);
 * - `price` — same bar and size, another price (a different fill model, e.g. quotes);
 * - `size` — same bar, another size (the book diverged earlier: see the first difference).
 *
 * Times UTC ms; sizes in base units; prices in quote currency.
 *
 * @module
 */
import type { BacktestResult } from "../backtest/mod.ts";
import type { Journal } from "./journal.ts";

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

/** Backtest fills per decision bar (see the module docs); `slippage` is a fraction. */
export function backtestFills(
  result: BacktestResult,
  options: { slippage: number },
): ComparedFill[] {
  const out: ComparedFill[] = [];
  for (let t = 0; t < result.steps; t++) {
    const d = result.position[t + 1] - result.position[t];
    if (d === 0) continue;
    const dir = d > 0 ? 1 : -1;
    // the end-of-data close happens at the last bar's close, after the last decision
    const last = t === result.steps - 1 && result.position[t + 1] === 0 && result.actions[t] !== 3;
    const at = last ? t + 1 : t;
    out.push({
      time: result.time[at],
      side: dir > 0 ? "buy" : "sell",
      size: Math.abs(d),
      price: result.price[at] * (1 + options.slippage * dir),
    });
  }
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
    else if (p && !b && exited) why = `guard: ${exited.reason ?? "exit"}`;
    else if (smoothed && !p) why = "smoothing";
    else if (p?.partial) why = "partial fill";
    else if (p && p.lateMs > 0) why = "latency";
    else if (p && b && close(p.size, b.size, relSize)) why = "price";
    else if (p && b) why = "size";
    else if (!p && b) why = "no paper fill";
    else why = p?.why ? `paper only: ${p.why}` : "paper only";
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
