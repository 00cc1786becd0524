/**
 * RL vs baseline: the specification's targets table, a comparison table over many runs,
 * and a plain-language conclusion computed from the numbers (with a bootstrap test of the
 * Sharpe difference), plus walk-forward evaluation.
 *
 * @module
 */
import type { Policy } from "../env/mod.ts";
import {
  type PerformanceMetrics,
  REPORTING_DEFAULTS,
  type ReportingRules,
  reportingRules,
  RUIN_RULE,
  shortWindowText,
  tooFewTradesText,
  windowDays,
  windowNote,
} from "../metrics/mod.ts";
import { ConfigError } from "../util/mod.ts";
import {
  backtest,
  type BacktestOptions,
  type BacktestResult,
  type TradingEnvLike,
} from "./backtest.ts";
import {
  alignReturns,
  bootstrapSharpeDifference,
  type SharpeDifferenceTest,
} from "./significance.ts";

const DAY_MS = 86_400_000;

/** The specification's RL targets (`000_…`, "Expected Performance Targets"). */
export interface Targets {
  /** Annualised Sharpe strictly above. Spec 1.5. */
  sharpe: number;
  /** Max drawdown strictly better (less negative) than. Spec −0.20. */
  maxDrawdown: number;
  /** Win rate strictly above (fraction). Spec 0.55. */
  winRate: number;
  /** Profit factor (gross profit / gross loss) strictly above. Spec 1.8. */
  profitFactor: number;
  /** 6-month total return strictly above (fraction). Spec 0.20. */
  sixMonthReturn: number;
}

/** The specification's targets. */
export const SPEC_TARGETS: Readonly<Targets> = Object.freeze({
  sharpe: 1.5,
  maxDrawdown: -0.2,
  winRate: 0.55,
  profitFactor: 1.8,
  sixMonthReturn: 0.2,
});

/** One row of the targets table. */
export interface TargetCheck {
  /** Metric name as shown. */
  metric: string;
  /** Target as shown, e.g. `"> 1.50"`. */
  target: string;
  /** Achieved value (fraction or ratio), `null` when undefined. */
  value: number | null;
  /** Achieved value formatted. */
  display: string;
  /** Whether the target is met; undefined values do not meet a target. */
  met: boolean;
  /** Caveat, e.g. how the 6-month return was derived. */
  note?: string;
}

function pct(x: number | null, d = 1): string {
  return x === null || !Number.isFinite(x) ? "n/a" : `${(x * 100).toFixed(d)} %`;
}
function num(x: number | null, d = 2): string {
  return x === null || !Number.isFinite(x) ? "n/a" : x.toFixed(d);
}

/**
 * Return over the run scaled to six months (182.5 days) by compounding:
 * `(1 + total)^(182.5 d / duration) − 1`; `null` for a zero-length run. Scaling a SHORT run up
 * flatters it (a 27-day +9.6 % becomes +85.9 %): {@link checkTargets} only uses it on windows
 * of at least six months.
 */
export function sixMonthReturn(m: PerformanceMetrics, durationMs: number): number | null {
  if (!(durationMs > 0)) return null;
  const g = 1 + m.totalReturn;
  if (g <= 0) return -1;
  const v = Math.pow(g, (182.5 * DAY_MS) / durationMs) - 1;
  return Number.isFinite(v) ? v : null;
}

/** Options of {@link checkTargets} and {@link comparisonTable}. */
export interface TargetOptions extends Partial<ReportingRules> {
  /** Target thresholds (default the specification's). */
  targets?: Partial<Targets>;
}

/**
 * The specification's targets table for one run, under rules that cannot flatter
 * (`ReportingRules` in lib/metrics): Sharpe > 1.5 (annualised; the note gives the window it
 * was measured on), max drawdown better than −20 %, win rate > 55 %, profit factor > 1.8
 * (gross profit / gross loss) and the payoff ratio > 1.8 (what the specification's code
 * computes under the name "profit factor") — these three are `n/a (too few trades)` below
 * `minTrades` (default 30) closed trades and then count as not met —, and the 6-month return
 * > 20 %, computed only on a window of at least six months (`n/a (window < 6 months)`
 * otherwise). A run that ended in ruin is scored over the whole window (`RUIN_RULE`).
 */
export function checkTargets(
  result: BacktestResult,
  options: TargetOptions = {},
): TargetCheck[] {
  const t = { ...SPEC_TARGETS, ...options.targets };
  const rules = reportingRules(options);
  const m = result.metrics;
  const ts = m.trades;
  const days = windowDays(result.time);
  const enoughTrades = ts.trades >= rules.minTrades;
  const fewTrades = tooFewTradesText(ts.trades, rules.minTrades);
  const longEnough = days >= rules.sixMonthDays;
  const six = longEnough ? sixMonthReturn(m, days * DAY_MS) : null;
  const pfUnbounded = ts.grossLoss === 0 && ts.grossProfit > 0;
  const window = windowNote(days);
  const rows: TargetCheck[] = [
    {
      metric: "Sharpe ratio (annualised)",
      target: `> ${num(t.sharpe)}`,
      value: m.sharpe,
      display: num(m.sharpe),
      met: m.sharpe !== null && m.sharpe > t.sharpe,
      note: window,
    },
    {
      metric: "Max drawdown",
      target: `better than ${pct(t.maxDrawdown, 0)}`,
      value: m.maxDrawdown,
      display: pct(m.maxDrawdown),
      met: m.maxDrawdown > t.maxDrawdown,
      note: window,
    },
    {
      metric: "Win rate",
      target: `> ${pct(t.winRate, 0)}`,
      value: enoughTrades ? ts.winRate : null,
      display: enoughTrades ? `${pct(ts.winRate)} of ${ts.trades}` : fewTrades,
      met: enoughTrades && ts.winRate !== null && ts.winRate > t.winRate,
    },
    {
      metric: "Profit factor (gross profit / gross loss)",
      target: `> ${num(t.profitFactor)}`,
      value: enoughTrades ? ts.profitFactor : null,
      display: !enoughTrades
        ? fewTrades
        : pfUnbounded
        ? "∞ (no losing trade)"
        : num(ts.profitFactor),
      met: enoughTrades &&
        (pfUnbounded || (ts.profitFactor !== null && ts.profitFactor > t.profitFactor)),
    },
    {
      metric: "Payoff ratio (avg win / avg loss; the spec's 'profit factor')",
      target: `> ${num(t.profitFactor)}`,
      value: enoughTrades ? ts.payoffRatio : null,
      display: enoughTrades ? num(ts.payoffRatio) : fewTrades,
      met: enoughTrades && ts.payoffRatio !== null && ts.payoffRatio > t.profitFactor,
    },
    {
      metric: "Total return (6 months)",
      target: `> ${pct(t.sixMonthReturn, 0)}`,
      value: six,
      display: longEnough ? pct(six) : shortWindowText("6 months", days),
      met: six !== null && six > t.sixMonthReturn,
      note: longEnough
        ? Math.abs(days - rules.sixMonthDays) > 1
          ? `compounded from ${pct(m.totalReturn)} over ${days.toFixed(1)} days`
          : undefined
        : `total return ${pct(m.totalReturn)} over ${days.toFixed(1)} days is not scaled up`,
    },
  ];
  return rows;
}

/** One row of {@link comparisonTable}. */
export interface ComparisonRow {
  name: string;
  /** Free-form group, e.g. the algorithm (`"ppo"`) or `"baseline"`. */
  group: string;
  /** Total return over the window, fraction. */
  totalReturn: number;
  /**
   * CAGR, fraction; null when the window is shorter than `minAnnualiseDays` (default a year:
   * short windows are not annualised).
   */
  annualReturn: number | null;
  /** Length of the run in years (bars / bars per year): CAGR is shown only from one year. */
  years: number;
  /** Annualised Sharpe measured on {@link windowDays} days. */
  sharpe: number | null;
  /** Annualised Sortino measured on {@link windowDays} days. */
  sortino: number | null;
  /** Calmar (needs the CAGR: null on short windows). */
  calmar: number | null;
  maxDrawdown: number;
  trades: number;
  /** Null below `minTrades` closed trades (see {@link fewTrades}). */
  winRate: number | null;
  /** Null below `minTrades` closed trades. */
  profitFactor: number | null;
  /** Null below `minTrades` closed trades. */
  payoffRatio: number | null;
  exposure: number | null;
  feesPaid: number;
  fundingPaid: number;
  finalEquity: number;
  /** Length of the window, days (what the annualised figures were measured on). */
  windowDays: number;
  /** Fewer closed trades than `minTrades`: the trade ratios are withheld. */
  fewTrades: boolean;
  /** The episode ended early (ruin); the curve is held flat to the window's end. */
  ruined: boolean;
  /** Number of targets met (of {@link checkTargets}' rows). */
  targetsMet: number;
  targetsTotal: number;
}

/** A named backtest run for comparisons. */
export interface NamedRun {
  /** Display name, e.g. `"ppo s1"`. */
  name: string;
  /** Group, e.g. `"ppo"`, `"baseline"`, `"buy_and_hold"`. */
  group: string;
  result: BacktestResult;
}

/**
 * One row per run with the headline metrics and the number of targets met, under the same
 * reporting rules as {@link checkTargets} (trade ratios withheld below `minTrades`, no CAGR
 * on windows under `minAnnualiseDays`).
 */
export function comparisonTable(
  runs: readonly NamedRun[],
  options: TargetOptions = {},
): ComparisonRow[] {
  const rules = reportingRules(options);
  return runs.map(({ name, group, result }) => {
    const m = result.metrics;
    const checks = checkTargets(result, options);
    const days = windowDays(result.time);
    const few = m.trades.trades < rules.minTrades;
    const annual = days >= rules.minAnnualiseDays;
    return {
      name,
      group,
      totalReturn: m.totalReturn,
      annualReturn: annual ? m.annualReturn : null,
      years: m.periodsPerYear > 0 ? m.bars / m.periodsPerYear : 0,
      sharpe: m.sharpe,
      sortino: m.sortino,
      calmar: annual ? m.calmar : null,
      maxDrawdown: m.maxDrawdown,
      trades: m.trades.trades,
      winRate: few ? null : m.trades.winRate,
      profitFactor: few ? null : m.trades.profitFactor,
      payoffRatio: few ? null : m.trades.payoffRatio,
      exposure: m.exposure,
      feesPaid: m.feesPaid,
      fundingPaid: m.fundingPaid,
      finalEquity: m.endEquity,
      windowDays: days,
      fewTrades: few,
      ruined: result.endedAtStep !== null && result.endedAtStep !== undefined,
      targetsMet: checks.filter((c) => c.met).length,
      targetsTotal: checks.length,
    };
  });
}

/**
 * Render {@link comparisonTable} rows as a fixed-width text table; withheld trade ratios read
 * `n/a*` and a footnote gives the reason and the window the annualised ratios come from.
 */
export function formatComparisonTable(
  rows: readonly ComparisonRow[],
  options: { minTrades?: number } = {},
): string {
  const head = [
    "strategy",
    "return",
    "Sharpe",
    "Sortino",
    "max DD",
    "trades",
    "exposure",
    "win rate",
    "PF",
    "payoff",
    "fees",
    "targets",
  ];
  const few = (r: ComparisonRow, s: string) => (r.fewTrades ? "n/a*" : s);
  const body = rows.map((r) => [
    r.name + (r.ruined ? " (ruined)" : ""),
    pct(r.totalReturn, 2),
    num(r.sharpe),
    num(r.sortino),
    pct(r.maxDrawdown, 2),
    String(r.trades),
    pct(r.exposure),
    few(r, pct(r.winRate)),
    few(
      r,
      r.profitFactor === null && r.trades > 0 && r.winRate === 1 ? "∞" : num(r.profitFactor),
    ),
    few(r, num(r.payoffRatio)),
    num(r.feesPaid),
    `${r.targetsMet}/${r.targetsTotal}`,
  ]);
  const w = head.map((h, j) => Math.max(h.length, ...body.map((b) => b[j].length)));
  const line = (cells: string[]) =>
    cells.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join("  ");
  const notes: string[] = [];
  if (rows.length > 0) {
    const days = Math.max(...rows.map((r) => r.windowDays));
    notes.push(`Sharpe and Sortino annualised, ${windowNote(days)}.`);
  }
  if (rows.some((r) => r.fewTrades)) {
    notes.push(
      `* n/a (too few trades): win rate, profit factor and payoff need ≥ ${
        options.minTrades ?? REPORTING_DEFAULTS.minTrades
      } closed trades.`,
    );
  }
  if (rows.some((r) => r.ruined)) notes.push(`(ruined): ${RUIN_RULE}.`);
  return [
    line(head),
    w.map((x) => "-".repeat(x)).join("  "),
    ...body.map(line),
    ...(notes.length ? ["", ...notes] : []),
  ].join("\n");
}

/** Options of {@link compareToBaseline}. */
export interface CompareOptions {
  /** Bars per year (for the bootstrap Sharpe). Required. */
  periodsPerYear: number;
  /** Bootstrap resamples. Default 2000. */
  samples?: number;
  /** Bootstrap seed. Default 0. */
  seed?: number;
  /** Significance level. Default 0.05. */
  alpha?: number;
  /** Split name for the text, e.g. `"test"`. */
  split?: string;
  /** Mean block length (bars). Default: Politis–White automatic. */
  meanBlockLength?: number;
  /** What the baseline is called in the conclusion. Default `fixed-rule baseline`. */
  baselineLabel?: string;
}

/** Result of {@link compareToBaseline}. */
export interface BaselineComparison {
  /** Per RL run: its name and the bootstrap test of Sharpe(run) − Sharpe(baseline). */
  tests: { name: string; test: SharpeDifferenceTest }[];
  /** RL runs with a higher Sharpe than the baseline. */
  higher: number;
  /** RL runs significantly better (p < alpha and difference > 0). */
  significantlyBetter: number;
  /** RL runs significantly worse. */
  significantlyWorse: number;
  /** Whether RL beats the baseline: EVERY run significantly better. */
  rlBeatsBaseline: boolean;
  /** Mean Sharpe over the RL runs (zero-variance runs count as 0). */
  meanRlSharpe: number;
  /** Baseline Sharpe (0 if undefined). */
  baselineSharpe: number;
  /** RL runs without a single trade on the split. */
  idleRuns: number;
  /** Plain-language conclusion computed from the numbers. */
  conclusion: string;
}

/**
 * Compare RL runs against the baseline on the same split: a paired stationary bootstrap of
 * the Sharpe difference for each run, counts, and a conclusion that says plainly when RL does
 * not beat the baseline. RL "beats" the baseline only if every run (all algorithms and seeds
 * given) is significantly better — one lucky seed does not carry the conclusion.
 */
export function compareToBaseline(
  rl: readonly NamedRun[],
  baseline: NamedRun,
  options: CompareOptions,
): BaselineComparison {
  if (rl.length === 0) {
    throw new ConfigError("compareToBaseline: no RL runs given", { parameter: "rl" });
  }
  const alpha = options.alpha ?? 0.05;
  const b = baseline.result;
  const tests = rl.map((r, i) => {
    const al = alignReturns(r.result.time, r.result.equity, b.time, b.equity);
    const test = bootstrapSharpeDifference(al.a, al.b, {
      periodsPerYear: options.periodsPerYear,
      samples: options.samples,
      seed: (options.seed ?? 0) + i,
      meanBlockLength: options.meanBlockLength,
      confidence: 1 - alpha,
    });
    return { name: r.name, test };
  });
  const higher = tests.filter((t) => t.test.difference > 0).length;
  const better = tests.filter((t) => t.test.difference > 0 && t.test.pValue < alpha).length;
  const worse = tests.filter((t) => t.test.difference < 0 && t.test.pValue < alpha).length;
  const meanRl = tests.reduce((s, t) => s + t.test.sharpeA, 0) / tests.length;
  const baseSharpe = tests[0].test.sharpeB;
  const n = tests.length;
  const split = options.split ? ` on the ${options.split} split` : "";
  const label = options.baselineLabel ?? "fixed-rule baseline";
  const best = tests.reduce((a, t) => (t.test.difference > a.test.difference ? t : a));
  const bestTxt = `best run ${best.name}: Sharpe ${num(best.test.sharpeA)} vs ${
    num(best.test.sharpeB)
  }, difference ${num(best.test.difference)} (${Math.round(best.test.confidence * 100)} % CI ${
    num(best.test.ciLow)
  } to ${num(best.test.ciHigh)}, p = ${best.test.pValue.toFixed(3)})`;
  let verdict: string;
  if (better === n) {
    verdict =
      `RL beats the ${label}${split}: all ${n} RL runs have a significantly higher Sharpe ratio (p < ${alpha}).`;
  } else if (better === 0) {
    verdict =
      `RL does NOT beat the ${label}${split}: ${higher} of ${n} RL runs have a higher Sharpe ratio, none significantly (p < ${alpha})` +
      (worse > 0 ? `, and ${worse} are significantly worse.` : ".");
  } else {
    verdict =
      `RL does not reliably beat the ${label}${split}: only ${better} of ${n} RL runs are significantly better (p < ${alpha}); ${worse} are significantly worse. One lucky seed is not a result.`;
  }
  const idle = rl.filter((r) => r.result.metrics.trades.trades === 0).length;
  const idleTxt = idle > 0
    ? ` ${idle} of ${n} RL runs never traded (stayed flat) on this split.`
    : "";
  const conclusion = `${verdict} Mean RL Sharpe ${num(meanRl)} vs baseline ${
    num(baseSharpe)
  }; ${bestTxt}.${idleTxt}`;
  return {
    tests,
    higher,
    significantlyBetter: better,
    significantlyWorse: worse,
    rlBeatsBaseline: better === n,
    meanRlSharpe: meanRl,
    baselineSharpe: baseSharpe,
    idleRuns: idle,
    conclusion,
  };
}

/** A train/test pair of walk-forward evaluation. */
export interface WalkForwardPair<R> {
  train: R;
  test: R;
}

/** Pair consecutive windows: train on window k, test on window k + 1, for every k. */
export function consecutiveFolds<R>(windows: readonly R[]): WalkForwardPair<R>[] {
  const out: WalkForwardPair<R>[] = [];
  for (let k = 0; k + 1 < windows.length; k++) {
    out.push({ train: windows[k], test: windows[k + 1] });
  }
  return out;
}

/** Callbacks of {@link walkForward}; they keep it independent of the agents' internals. */
export interface WalkForwardCallbacks<R> {
  /** Train a policy on `fold.train` (fold index `k`). */
  train(range: R, k: number): Promise<Policy> | Policy;
  /** Backtest a policy on a range. */
  evaluate(policy: Policy, range: R, k: number): BacktestResult;
  /** Reference policies to evaluate on each test range (e.g. baseline, buy-and-hold). */
  references?: () => Policy[];
}

/** One fold of {@link walkForward}. */
export interface WalkForwardFold {
  fold: number;
  /** The trained policy's test-range metrics. */
  rl: PerformanceMetrics;
  /** Each reference policy's test-range metrics, by policy name. */
  references: Record<string, PerformanceMetrics>;
  /** The results themselves (for figures). */
  results: Record<string, BacktestResult>;
}

/** Result of {@link walkForward}. */
export interface WalkForwardReport {
  folds: WalkForwardFold[];
  /** Mean test Sharpe of the trained policies (undefined Sharpe counts as 0). */
  meanRlSharpe: number;
  /** Mean test Sharpe per reference policy. */
  meanReferenceSharpe: Record<string, number>;
  /** Folds where the trained policy's Sharpe beats each reference's, by reference name. */
  foldsRlAhead: Record<string, number>;
}

/**
 * Walk-forward evaluation: for every pair, train on `pair.train` and test on `pair.test`
 * (fresh policy per fold), and evaluate the reference policies on the same test range.
 */
export async function walkForward<R>(
  pairs: readonly WalkForwardPair<R>[],
  callbacks: WalkForwardCallbacks<R>,
): Promise<WalkForwardReport> {
  const folds: WalkForwardFold[] = [];
  for (let k = 0; k < pairs.length; k++) {
    const policy = await callbacks.train(pairs[k].train, k);
    const rl = callbacks.evaluate(policy, pairs[k].test, k);
    const results: Record<string, BacktestResult> = { rl };
    const references: Record<string, PerformanceMetrics> = {};
    for (const ref of callbacks.references?.() ?? []) {
      const r = callbacks.evaluate(ref, pairs[k].test, k);
      results[ref.name] = r;
      references[ref.name] = r.metrics;
    }
    folds.push({ fold: k, rl: rl.metrics, references, results });
  }
  const sh = (m: PerformanceMetrics) => m.sharpe ?? 0;
  const meanRl = folds.length ? folds.reduce((s, f) => s + sh(f.rl), 0) / folds.length : 0;
  const meanRef: Record<string, number> = {};
  const ahead: Record<string, number> = {};
  for (const name of Object.keys(folds[0]?.references ?? {})) {
    meanRef[name] = folds.reduce((s, f) => s + sh(f.references[name]), 0) / folds.length;
    ahead[name] = folds.filter((f) => sh(f.rl) > sh(f.references[name])).length;
  }
  return { folds, meanRlSharpe: meanRl, meanReferenceSharpe: meanRef, foldsRlAhead: ahead };
}

/** A policy to compare, with its display name and group. */
export interface ComparisonEntry {
  /** Display name, e.g. `"ppo s1"`. */
  name: string;
  /** Group: the algorithm (`"ppo"`, `"a2c"`, `"grpo"`) or a reference (`"baseline"`, `"buy_and_hold"`). */
  group: string;
  policy: Policy;
}

/** Options of {@link compareOnSplit}. */
export interface CompareOnSplitOptions extends Omit<CompareOptions, "split"> {
  /** Split name for texts, e.g. `"validation"`. */
  split: string;
  /** Groups that are references, not RL (default `["baseline", "buy_and_hold", "flat", "random"]`). */
  referenceGroups?: string[];
  /** Name of the entry the RL runs are tested against. Default: the first entry of group `"baseline"`. */
  baselineName?: string;
  /** Reporting rules and target thresholds of the targets and comparison tables. */
  targetOptions?: TargetOptions;
  /**
   * Options forwarded to EVERY `backtest()` call (e.g. `useMasks`, `maxSteps`, and the
   * episode options that risk guards or smoothing add): one line to plug them in.
   */
  episode?: Omit<Partial<BacktestOptions>, "periodsPerYear" | "name">;
}

/** Everything {@link compareOnSplit} computed for one split. */
export interface SplitComparison {
  split: string;
  runs: NamedRun[];
  rows: ComparisonRow[];
  targets: { name: string; checks: TargetCheck[] }[];
  /** RL runs vs the baseline (null when there is no RL entry or no baseline). */
  vsBaseline: BaselineComparison | null;
}

/**
 * Backtest every entry on a fresh env from `makeEnv` (same split, same accounting), build the
 * comparison table and targets, and test every RL entry against the baseline.
 */
export function compareOnSplit(
  entries: readonly ComparisonEntry[],
  makeEnv: () => TradingEnvLike,
  options: CompareOnSplitOptions,
): SplitComparison {
  const refs = options.referenceGroups ?? ["baseline", "buy_and_hold", "flat", "random"];
  const runs: NamedRun[] = entries.map((e) => ({
    name: e.name,
    group: e.group,
    result: backtest(e.policy, makeEnv, {
      ...options.episode,
      periodsPerYear: options.periodsPerYear,
      name: e.name,
    }),
  }));
  const base = options.baselineName
    ? runs.find((r) => r.name === options.baselineName)
    : runs.find((r) => r.group === "baseline");
  const rl = runs.filter((r) => !refs.includes(r.group));
  return {
    split: options.split,
    runs,
    rows: comparisonTable(runs, options.targetOptions),
    targets: runs.map((r) => ({
      name: r.name,
      checks: checkTargets(r.result, options.targetOptions),
    })),
    vsBaseline: base && rl.length > 0
      ? compareToBaseline(rl, base, { ...options, split: options.split })
      : null,
  };
}
