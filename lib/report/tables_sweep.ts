/**
 * A sweep's results (`runLocalSweep` / `deno task sweep`, lib/experiment/sweep) as display
 * rows: the walk-forward view (group × fold, the held-out test split of every fold's runs
 * against the fixed-rule baseline) and the paired RL-minus-baseline comparisons. Sharpe ratios
 * annualised; returns in percent.
 *
 * @module
 */
import type { MetricStats, SweepResults } from "../experiment/mod.ts";

function r2(x: number | null | undefined): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : +x.toFixed(2);
}

function meanSd(s: MetricStats | undefined): string {
  if (!s || s.mean === null) return "n/a";
  return s.std === null ? s.mean.toFixed(2) : `${s.mean.toFixed(2)} ± ${s.std.toFixed(2)}`;
}

/** Options of {@link sweepWalkForwardRows}. */
export interface SweepRowsOptions {
  /** The RL metric (default: the first comparison's, e.g. `evaluation.test.rl.sharpe`). */
  rl?: string;
  /** The baseline metric (default: the first comparison's). */
  baseline?: string;
}

/**
 * The walk-forward view as rows, one per group and fold: the RL and baseline metric (mean ±
 * sample std over the fold's seeds), the paired mean difference and how many seeds beat the
 * baseline on that fold.
 */
export function sweepWalkForwardRows(
  results: SweepResults,
  options: SweepRowsOptions = {},
): Record<string, unknown>[] {
  const rl = options.rl ?? results.comparisons[0]?.rl ?? "evaluation.test.rl.sharpe";
  const base = options.baseline ?? results.comparisons[0]?.baseline ??
    "evaluation.test.baseline.sharpe";
  return results.walkForward.map((w) => {
    const cmp = results.comparisons.find((c) =>
      c.group === w.group && JSON.stringify(c.fold) === JSON.stringify(w.fold) && c.rl === rl &&
      c.baseline === base
    );
    return {
      group: w.group,
      fold: w.fold,
      seeds: w.metrics[rl]?.n ?? 0,
      [rl]: meanSd(w.metrics[rl]),
      [base]: meanSd(w.metrics[base]),
      "RL − baseline": r2(cmp?.diff.mean),
      "seeds ahead": cmp ? `${cmp.wins}/${cmp.diffs.length}` : "n/a",
    };
  });
}

/**
 * The paired comparisons as rows (per fold and pooled `all`): mean difference, its bootstrap
 * interval across the seeds (null below two seeds) and the cells ahead.
 */
export function sweepComparisonRows(results: SweepResults): Record<string, unknown>[] {
  return results.comparisons.map((c) => ({
    group: c.group,
    fold: c.fold,
    comparison: `${c.rl} − ${c.baseline}`,
    cells: c.diffs.length,
    "mean difference": r2(c.diff.mean),
    [`${Math.round(results.bootstrap.level * 100)} % CI`]: c.diff.ci
      ? `[${c.diff.ci.low.toFixed(2)}, ${c.diff.ci.high.toFixed(2)}]`
      : "n/a",
    ahead: `${c.wins}/${c.diffs.length}`,
  }));
}
