/**
 * Aggregation of a sweep's runs: one row per cell, one row per group (cells that differ only
 * in seed and fold) with mean, standard deviation and a percentile-bootstrap interval of the
 * mean for every metric, the paired RL-minus-baseline comparison per group and fold, and the
 * walk-forward view (group × fold).
 *
 * Statistics:
 * - `std` is the sample standard deviation (n − 1); null for n < 2.
 * - The interval is the percentile bootstrap of the mean across the group's cells (2,000
 *   resamples, 95 % by default), drawn from the project's seeded PRNG: same sweep, same seed →
 *   same interval. Null for n < 2. With 3 seeds it is wide and optimistic (a bootstrap cannot
 *   see more spread than the few seeds show): read it as "how much the seeds disagree", not as
 *   a guarantee.
 * - The paired comparison takes, per cell, d = rl − baseline on the same run (same data, same
 *   fold, same seed) and summarises the d's across seeds; `wins` counts d > 0.
 *
 * @module
 */
import { Rng } from "../../util/mod.ts";
import type { CellConfig, CompareSpec, ConfigValue } from "./grid.ts";
import type { CellRecord } from "./manifest.ts";
import type { MetricValues } from "./run_folder.ts";

/** A two-sided interval. */
export interface Interval {
  /** Lower bound. */
  low: number;
  /** Upper bound. */
  high: number;
}

/** Summary of one metric over a set of cells. */
export interface MetricStats {
  /** Cells with a finite value. */
  n: number;
  /** Mean (null when n = 0). */
  mean: number | null;
  /** Sample standard deviation (null when n < 2). */
  std: number | null;
  /** Percentile-bootstrap interval of the mean (null when n < 2). */
  ci: Interval | null;
}

/** One cell in the results table. */
export interface CellResultRow {
  /** Cell id. */
  id: string;
  /** Label from the grid axes. */
  label: string;
  /** Cell status from the sweep manifest. */
  status: string;
  /** Full configuration. */
  config: CellConfig;
  /** Group key (see {@link SweepResults.groupBy}). */
  group: string;
  /** The cell's `fold` value, or null. */
  fold: ConfigValue | null;
  /** The cell's `seed`, or null. */
  seed: ConfigValue | null;
  /** Run folder, once completed. */
  runDir: string | null;
  /** Metrics read from the run folder (empty when not completed). */
  metrics: MetricValues;
  /** Errors of the failed attempts (messages). */
  errors: string[];
}

/** One group in the results table. */
export interface GroupResultRow {
  /** Group key, e.g. `agent=a2c preset=none` (`all` when nothing varies). */
  group: string;
  /** The group's values of the groupBy keys. */
  keys: CellConfig;
  /** Cells in the group. */
  cells: number;
  /** Completed cells in the group. */
  completed: number;
  /** Statistics per metric. */
  metrics: Record<string, MetricStats>;
}

/** A paired RL-minus-baseline comparison of one group on one fold (or all folds). */
export interface ComparisonRow {
  /** Group key. */
  group: string;
  /** Fold value, or `"all"` when pooled over folds / there are no folds. */
  fold: ConfigValue | "all";
  /** RL metric name. */
  rl: string;
  /** Baseline metric name. */
  baseline: string;
  /** Statistics of d = rl − baseline across the cells (seeds). */
  diff: MetricStats;
  /** Cells with d > 0. */
  wins: number;
  /** The paired differences, in cell order. */
  diffs: number[];
}

/** One group on one fold (the walk-forward view). */
export interface WalkForwardRow {
  /** Group key. */
  group: string;
  /** Fold value. */
  fold: ConfigValue;
  /** Statistics per metric across the seeds of this fold. */
  metrics: Record<string, MetricStats>;
}

/** The whole results table (`results.json`). */
export interface SweepResults {
  /** Sweep name. */
  name: string;
  /** ISO-8601 UTC time of the aggregation. */
  createdAt: string;
  /** Keys that define groups. */
  groupBy: string[];
  /** Every metric name seen, sorted. */
  metricNames: string[];
  /** Bootstrap settings. */
  bootstrap: { resamples: number; level: number; seed: number };
  /** One row per cell, in grid order. */
  cells: CellResultRow[];
  /** One row per group. */
  groups: GroupResultRow[];
  /** Paired comparisons whose metrics are present (per fold, plus pooled when folds exist). */
  comparisons: ComparisonRow[];
  /** Group × fold rows (empty without folds). */
  walkForward: WalkForwardRow[];
}

/** Options of {@link aggregateResults}. */
export interface AggregateOptions {
  /** Sweep name. */
  name?: string;
  /** Keys defining groups (default: keys that vary across cells, except seed and fold). */
  groupBy?: string[];
  /**
   * Comparisons (default {@link DEFAULT_COMPARE}: the test-split RL-vs-fixed-rule-baseline
   * Sharpe of `evaluation.json`, paired per cell; when no cell has one (not evaluated),
   * {@link VALIDATION_COMPARE}).
   */
  compare?: CompareSpec[];
  /** Bootstrap resamples (default 2000). */
  resamples?: number;
  /** Interval level (default 0.95). */
  level?: number;
  /** PRNG seed of the bootstrap (default 0). */
  seed?: number;
}

/**
 * The default comparison: on the held-out test split of `deno task evaluate` (the sweep's
 * evaluate step), the first evaluated model's Sharpe (the best model) minus the fixed-rule
 * baseline's on the same bars (the options env: the reversal rule), paired per cell.
 */
export const DEFAULT_COMPARE: readonly CompareSpec[] = [
  { rl: "evaluation.test.rl.sharpe", baseline: "evaluation.test.baseline.sharpe" },
];

/**
 * The comparisons used when no cell has an `evaluation.json` (the evaluate step off or not
 * available): the final model's validation Sharpe vs random and vs always-flat from the run
 * manifests (validation also chose the best model, so these are optimistic).
 */
export const VALIDATION_COMPARE: readonly CompareSpec[] = [
  { rl: "validation.final.sharpe", baseline: "validation.random.sharpe" },
  { rl: "validation.final.sharpe", baseline: "validation.alwaysFlat.sharpe" },
];

/** The comparisons to make when none are given: see {@link DEFAULT_COMPARE}. */
export function defaultComparisons(
  metrics: Iterable<MetricValues>,
): readonly CompareSpec[] {
  for (const m of metrics) {
    if (
      DEFAULT_COMPARE.every((c) => typeof m[c.rl] === "number" && typeof m[c.baseline] === "number")
    ) return DEFAULT_COMPARE;
  }
  return VALIDATION_COMPARE;
}

/** Mean, std and percentile-bootstrap interval of the mean of finite values. */
export function metricStats(
  values: readonly (number | null | undefined)[],
  options: { resamples?: number; level?: number; seed?: number } = {},
): MetricStats {
  const x = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  const n = x.length;
  if (n === 0) return { n, mean: null, std: null, ci: null };
  let sum = 0;
  for (const v of x) sum += v;
  const mean = sum / n;
  if (n < 2) return { n, mean, std: null, ci: null };
  let ss = 0;
  for (const v of x) ss += (v - mean) * (v - mean);
  const std = Math.sqrt(ss / (n - 1));
  const b = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const rng = new Rng(options.seed ?? 0);
  const means = new Float64Array(b);
  for (let i = 0; i < b; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += x[rng.int(n)];
    means[i] = s / n;
  }
  means.sort();
  const q = (p: number) => means[Math.min(b - 1, Math.max(0, Math.round(p * (b - 1))))];
  return { n, mean, std, ci: { low: q((1 - level) / 2), high: q(1 - (1 - level) / 2) } };
}

function groupKey(config: CellConfig, keys: readonly string[]): string {
  if (keys.length === 0) return "all";
  return keys.map((k) => `${k}=${config[k] === undefined ? "-" : fmt(config[k])}`).join(" ");
}

function fmt(v: ConfigValue): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Keys whose value differs between cells, except `seed` and `fold`. */
export function varyingKeys(configs: readonly CellConfig[]): string[] {
  const keys = new Set<string>();
  for (const c of configs) for (const k of Object.keys(c)) keys.add(k);
  const out: string[] = [];
  for (const k of keys) {
    if (k === "seed" || k === "fold") continue;
    const vals = new Set(configs.map((c) => c[k] === undefined ? "\u0000" : JSON.stringify(c[k])));
    if (vals.size > 1) out.push(k);
  }
  return out;
}

/**
 * Build the results table from the manifest's cell records and the metrics read from their
 * run folders (`metrics.get(cellId)`; absent for cells without a complete run).
 */
export function aggregateResults(
  records: readonly CellRecord[],
  metrics: ReadonlyMap<string, MetricValues>,
  options: AggregateOptions = {},
): SweepResults {
  const groupBy = options.groupBy ?? varyingKeys(records.map((r) => r.config));
  const boot = {
    resamples: options.resamples ?? 2000,
    level: options.level ?? 0.95,
    seed: options.seed ?? 0,
  };
  const cells: CellResultRow[] = records.map((r) => ({
    id: r.id,
    label: r.label,
    status: r.status,
    config: r.config,
    group: groupKey(r.config, groupBy),
    fold: r.config.fold ?? null,
    seed: r.config.seed ?? null,
    runDir: r.runDir,
    metrics: (r.status === "completed" ? metrics.get(r.id) : undefined) ?? {},
    errors: r.errors.map((e) => e.message),
  }));
  const names = new Set<string>();
  for (const c of cells) for (const k of Object.keys(c.metrics)) names.add(k);
  const metricNames = [...names].sort();
  const statsOf = (rows: readonly CellResultRow[]) => {
    const out: Record<string, MetricStats> = {};
    for (const m of metricNames) out[m] = metricStats(rows.map((r) => r.metrics[m]), boot);
    return out;
  };
  const groupsMap = new Map<string, CellResultRow[]>();
  for (const c of cells) {
    const list = groupsMap.get(c.group) ?? [];
    list.push(c);
    groupsMap.set(c.group, list);
  }
  const groups: GroupResultRow[] = [];
  const comparisons: ComparisonRow[] = [];
  const walkForward: WalkForwardRow[] = [];
  const hasFolds = cells.some((c) => c.fold !== null);
  const compare = options.compare ?? defaultComparisons(cells.map((c) => c.metrics));
  for (const [group, rows] of groupsMap) {
    const keys: CellConfig = {};
    for (const k of groupBy) if (rows[0].config[k] !== undefined) keys[k] = rows[0].config[k];
    groups.push({
      group,
      keys,
      cells: rows.length,
      completed: rows.filter((r) => r.status === "completed").length,
      metrics: statsOf(rows),
    });
    const folds = hasFolds ? uniqueFolds(rows) : [];
    for (const f of folds) {
      walkForward.push({ group, fold: f, metrics: statsOf(rows.filter((r) => same(r.fold, f))) });
    }
    for (const cmp of compare) {
      const subsets: [ConfigValue | "all", CellResultRow[]][] = [
        ...folds.map((
          f,
        ): [ConfigValue, CellResultRow[]] => [f, rows.filter((r) => same(r.fold, f))]),
        ["all", rows],
      ];
      for (const [fold, sub] of subsets) {
        const diffs: number[] = [];
        for (const r of sub) {
          const a = r.metrics[cmp.rl];
          const b = r.metrics[cmp.baseline];
          if (typeof a === "number" && typeof b === "number") diffs.push(a - b);
        }
        if (diffs.length === 0) continue; // metrics not present: no comparison
        comparisons.push({
          group,
          fold,
          rl: cmp.rl,
          baseline: cmp.baseline,
          diff: metricStats(diffs, boot),
          wins: diffs.filter((d) => d > 0).length,
          diffs,
        });
      }
    }
  }
  return {
    name: options.name ?? "sweep",
    createdAt: new Date().toISOString(),
    groupBy,
    metricNames,
    bootstrap: boot,
    cells,
    groups,
    comparisons,
    walkForward,
  };
}

function same(a: ConfigValue | null, b: ConfigValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function uniqueFolds(rows: readonly CellResultRow[]): ConfigValue[] {
  const seen = new Map<string, ConfigValue>();
  for (const r of rows) if (r.fold !== null) seen.set(JSON.stringify(r.fold), r.fold);
  return [...seen.values()];
}

/** The per-cell table as CSV (config keys, then metrics; RFC 4180 quoting). */
export function resultsCsv(results: SweepResults): string {
  const cfgKeys = [...new Set(results.cells.flatMap((c) => Object.keys(c.config)))].sort();
  const head = ["id", "label", "status", ...cfgKeys, ...results.metricNames, "error"];
  const q = (s: string) => /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  const lines = [head.map(q).join(",")];
  for (const c of results.cells) {
    lines.push(
      [
        c.id,
        c.label,
        c.status,
        ...cfgKeys.map((k) => c.config[k] === undefined ? "" : fmt(c.config[k])),
        ...results.metricNames.map((m) => {
          const v = c.metrics[m];
          return v === null || v === undefined ? "" : String(v);
        }),
        c.errors.at(-1) ?? "",
      ].map(q).join(","),
    );
  }
  return lines.join("\n") + "\n";
}
