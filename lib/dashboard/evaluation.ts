/**
 * Tolerant reader of a run's `evaluation.json` (written by `deno task evaluate`, which is
 * being built in parallel: this reader accepts the shapes below and ignores the rest).
 *
 * Accepted shapes (all keys optional):
 * ```
 * { "split": "test",
 *   // strategies as an array of rows …
 *   "rows" | "table" | "results" | "strategies": [
 *     { "name" | "label" | "strategy" | "policy" | "model": "best model",
 *       "totalReturn": 0.012,          // any scalar fields become table columns
 *       "sharpe": 1.1, "maxDrawdown": 0.05, "trades": 40,
 *       "equity" | "equityCurve" | "curve": [2000, 2001.5, …],   // optional
 *       "time" | "times" | "timestamps": [epoch ms, …] } ],       // optional
 *   // … or as objects keyed by name, e.g. {"models": {"best": {…}}, "baselines": {"fixedRule": {…}}}
 *   "models" | "baselines" | "policies": { "<name>": { …same fields… } },
 *   // curves may also sit apart, keyed by the strategy name
 *   "curves" | "equity": { "<name>": [ … ] | { "equity": [ … ], "time": [ … ] } },
 *   "time" | "times" | "timestamps": [ … ],   // shared time axis
 *   // any other array of flat objects (targets table, bootstrap) is shown as a table
 * }
 * ```
 * Drawdown is derived here from each equity curve: `equity / running max − 1` (a fraction,
 * ≤ 0). Secret-looking keys are redacted like everywhere else.
 *
 * @module
 */
import { redact } from "./_redact.ts";

/** One strategy (model or baseline) evaluated on the split. */
export interface EvaluatedStrategy {
  /** Display name (e.g. `best model`, `fixed-rule baseline`). */
  name: string;
  /** Scalar results (numbers, strings, booleans, null), by field name as written. */
  metrics: Record<string, number | string | boolean | null>;
  /** Equity curve (account currency), or null. */
  equity: number[] | null;
  /** Time of each equity point (epoch ms), or null (then the x axis is the bar index). */
  time: number[] | null;
  /** Drawdown of each equity point, a fraction ≤ 0 (−0.1 = 10 % below the running peak). */
  drawdown: number[] | null;
}

/** `evaluation.json` normalised for the run page (`GET /api/runs/:id/evaluation`). */
export interface EvaluationData {
  /** Split evaluated (`test`, `validation`, …), or null. */
  split: string | null;
  /** Strategies in file order. */
  strategies: EvaluatedStrategy[];
  /** Union of the strategies' metric names, in first-seen order. */
  columns: string[];
  /** Other tables found (e.g. targets, bootstrap): name → rows of scalars. */
  tables: Record<string, Record<string, number | string | boolean | null>[]>;
}

/** The test-split figures shown in the runs table. */
export interface EvaluationSummary {
  /** Split evaluated. */
  split: string | null;
  /** Which strategy the figures are from (a "best" model first, then "final", then the first). */
  model: string;
  /** Total return over the split, a fraction (0.01 = +1 %), or null. */
  totalReturn: number | null;
  /** Sharpe ratio as written by the evaluator (annualised there), or null. */
  sharpe: number | null;
}

type Json = Record<string, unknown>;
type Scalar = number | string | boolean | null;

const NAME_KEYS = ["name", "label", "strategy", "policy", "model"];
const ROW_KEYS = ["rows", "table", "results", "strategies"];
const GROUP_KEYS = ["models", "baselines", "policies", "strategies"];
const CURVE_KEYS = ["equity", "equityCurve", "curve"];
const TIME_KEYS = ["time", "times", "timestamps"];

function obj(v: unknown): Json | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? v as Json : null;
}
function numArray(v: unknown): number[] | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  return v.every((x) => typeof x === "number" || x === null)
    ? v.map((x) => (typeof x === "number" && Number.isFinite(x) ? x : NaN))
    : null;
}
function isScalar(v: unknown): v is Scalar {
  return v === null || ["number", "string", "boolean"].includes(typeof v);
}
function firstOf<T>(o: Json, keys: string[], f: (v: unknown) => T | null): T | null {
  for (const k of keys) {
    const r = f(o[k]);
    if (r !== null) return r;
  }
  return null;
}

/** `equity / running max − 1` per point (NaN stays NaN). */
export function drawdownOf(equity: number[]): number[] {
  let peak = -Infinity;
  return equity.map((e) => {
    if (!Number.isFinite(e)) return NaN;
    if (e > peak) peak = e;
    return peak > 0 ? e / peak - 1 : 0;
  });
}

function strategyFrom(name: string, o: Json): EvaluatedStrategy {
  const metrics: Record<string, Scalar> = {};
  for (const [k, v] of Object.entries(o)) {
    if (NAME_KEYS.includes(k) && typeof v === "string") continue;
    if (isScalar(v)) metrics[k] = typeof v === "number" && !Number.isFinite(v) ? null : v;
  }
  const curveObj = firstOf(o, CURVE_KEYS, obj);
  const equity = firstOf(o, CURVE_KEYS, numArray) ??
    (curveObj ? firstOf(curveObj, CURVE_KEYS, numArray) : null);
  const time = firstOf(o, TIME_KEYS, numArray) ??
    (curveObj ? firstOf(curveObj, TIME_KEYS, numArray) : null);
  return { name, metrics, equity, time, drawdown: equity ? drawdownOf(equity) : null };
}

function nameOf(o: Json, fallback: string): string {
  for (const k of NAME_KEYS) if (typeof o[k] === "string" && o[k]) return o[k] as string;
  return fallback;
}

/** Normalise a parsed `evaluation.json` (see the module doc for the accepted shapes). */
export function normalizeEvaluation(raw: unknown): EvaluationData {
  const root = obj(redact(raw)) ?? {};
  const strategies: EvaluatedStrategy[] = [];
  const used = new Set<string>();
  for (const k of ROW_KEYS) {
    const arr = root[k];
    if (!Array.isArray(arr) || !arr.every((x) => obj(x))) continue;
    arr.forEach((x, i) =>
      strategies.push(strategyFrom(nameOf(x as Json, `${k}[${i}]`), x as Json))
    );
    used.add(k);
    break;
  }
  for (const k of GROUP_KEYS) {
    const g = obj(root[k]);
    if (!g || used.has(k)) continue;
    for (const [name, v] of Object.entries(g)) {
      const o = obj(v);
      if (o) strategies.push(strategyFrom(nameOf(o, name), o));
    }
    used.add(k);
  }
  // curves kept apart from the rows, keyed by strategy name
  const sharedTime = firstOf(root, TIME_KEYS, numArray);
  for (const k of ["curves", "equity"]) {
    const c = obj(root[k]);
    if (!c) continue;
    used.add(k);
    for (const [name, v] of Object.entries(c)) {
      const co = obj(v);
      const eq = numArray(v) ?? (co ? firstOf(co, CURVE_KEYS, numArray) : null);
      if (!eq) continue;
      const time = (co ? firstOf(co, TIME_KEYS, numArray) : null) ?? sharedTime;
      let s = strategies.find((x) => x.name === name);
      if (!s) {
        s = { name, metrics: {}, equity: null, time: null, drawdown: null };
        strategies.push(s);
      }
      s.equity = eq;
      s.time = time;
      s.drawdown = drawdownOf(eq);
    }
  }
  for (const s of strategies) if (s.equity && !s.time && sharedTime) s.time = sharedTime;
  const columns: string[] = [];
  for (const s of strategies) {
    for (const k of Object.keys(s.metrics)) if (!columns.includes(k)) columns.push(k);
  }
  const tables: EvaluationData["tables"] = {};
  for (const [k, v] of Object.entries(root)) {
    if (used.has(k) || !Array.isArray(v) || v.length === 0) continue;
    if (!v.every((x) => obj(x) && Object.values(x as Json).every(isScalar))) continue;
    tables[k] = v as Record<string, Scalar>[];
  }
  return {
    split: typeof root.split === "string" ? root.split : null,
    strategies,
    columns,
    tables,
  };
}

/** The figures of the runs table: a "best" model first, then "final", then the first row. */
export function testSummary(ev: EvaluationData): EvaluationSummary | null {
  const pick = ev.strategies.find((s) => /best/i.test(s.name)) ??
    ev.strategies.find((s) => /final/i.test(s.name)) ?? ev.strategies[0];
  if (!pick) return null;
  const n = (keys: string[]): number | null => {
    for (const k of keys) {
      const v = pick.metrics[k];
      if (typeof v === "number") return v;
    }
    return null;
  };
  return {
    split: ev.split,
    model: pick.name,
    totalReturn: n(["totalReturn", "return", "total_return"]),
    sharpe: n(["sharpe", "sharpeRatio", "sharpe_ratio"]),
  };
}

/** Read and normalise `evaluation.json`; a malformed file gives `problem`, never a throw. */
export async function readEvaluation(
  path: string,
): Promise<{ evaluation: EvaluationData | null; problem?: string }> {
  try {
    const st = await Deno.stat(path);
    if (st.size > 64 * 1024 * 1024) {
      return { evaluation: null, problem: "evaluation.json is larger than 64 MiB" };
    }
    return { evaluation: normalizeEvaluation(JSON.parse(await Deno.readTextFile(path))) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { evaluation: null };
    return {
      evaluation: null,
      problem: e instanceof SyntaxError
        ? "evaluation.json is not valid JSON"
        : `evaluation.json cannot be read (${(e as Error).name})`,
    };
  }
}
