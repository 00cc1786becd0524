/**
 * Coverage of the optional inputs (open interest, funding) per split, and the policy that
 * refuses a configuration whose training split lacks a feature family the later splits have.
 *
 * Why: with OI on the test split only, the OI features are neutral (0) through training,
 * the normalisers learn a zero variance, and every real OI value saturates the clip on the
 * test split (issue 19: three of six PPO runs ruined). Coverage is reported per split;
 * {@link checkCoverage} refuses when a family present in the data is missing on more than
 * `maxMissingShare` of the training split, naming the remedies.
 *
 * Definitions (per bar):
 * - OI covered: the as-of aligned `openInterest` is finite (known, not stale).
 * - Funding covered: a settlement happened at or before the bar's close and the last one is
 *   at most 1.5 funding intervals old (`fundingIntervalMs`, else detected from the
 *   settlement bars), i.e. the forward-filled `funding_rate` feature is real data, not the
 *   neutral 0.
 *
 * @module
 */
import { DataError } from "../util/mod.ts";
import { formatUtc } from "./table.ts";
import { detectFundingIntervalMs } from "./funding.ts";
import type { MarketData } from "./market_data.ts";
import type { IndexRange, SplitRanges } from "./split.ts";

/** Optional data families whose coverage is checked. Same names as the feature families. */
export type CoverageFamily = "oi" | "funding";

/** Coverage of one split. */
export interface SplitCoverage {
  /** Split name (`train`, `validation`, `test`, …). */
  split: string;
  /** Bars in the split. */
  bars: number;
  /** First / last bar open time (ISO UTC), null when empty. */
  first: string | null;
  last: string | null;
  /** Bars with OI known, and their share (0–1). */
  oiBars: number;
  oiShare: number;
  /** Bars with funding known (see module docs), and their share (0–1). */
  fundingBars: number;
  fundingShare: number;
}

/** Coverage of every split plus where the optional data exists at all. */
export interface CoverageReport {
  splits: SplitCoverage[];
  /** The market carries an OI column with at least one known value. */
  hasOpenInterest: boolean;
  /** The market carries at least one funding settlement. */
  hasFunding: boolean;
  /** First / last bar (ISO UTC) with OI known; null when none. */
  oiWindow: { first: string; last: string } | null;
  /** First / last bar (ISO UTC) with funding known; null when none. */
  fundingWindow: { first: string; last: string } | null;
  /** Funding interval used, ms (0 when unknown). */
  fundingIntervalMs: number;
}

/** Per-bar coverage masks (1 = known). */
export function coverageMasks(md: MarketData): { oi: Uint8Array; funding: Uint8Array } {
  const n = md.time.length;
  const oi = new Uint8Array(n);
  if (md.openInterest) {
    for (let i = 0; i < n; i++) oi[i] = Number.isFinite(md.openInterest[i]) ? 1 : 0;
  }
  const funding = new Uint8Array(n);
  const fr = md.fundingRate;
  if (fr) {
    let fi = md.fundingIntervalMs ?? 0;
    if (!(fi > 0)) {
      const t: number[] = [];
      for (let i = 0; i < n; i++) if (Number.isFinite(fr[i])) t.push(md.time[i] + md.intervalMs);
      fi = detectFundingIntervalMs(t);
    }
    const maxAge = 1.5 * Math.max(fi, md.intervalMs);
    let last = -Infinity;
    for (let i = 0; i < n; i++) {
      const close = md.time[i] + md.intervalMs;
      if (Number.isFinite(fr[i])) last = close;
      funding[i] = close - last <= maxAge ? 1 : 0;
    }
  }
  return { oi, funding };
}

/**
 * Coverage of OI and funding per split (`splits` maps a name to a bar range `[start, end)`,
 * e.g. the `SplitRanges` of `splitByFraction`).
 */
export function coverageBySplit(
  md: MarketData,
  splits: SplitRanges | Record<string, IndexRange>,
): CoverageReport {
  const masks = coverageMasks(md);
  const out: SplitCoverage[] = [];
  for (const [name, r] of Object.entries(splits) as [string, IndexRange][]) {
    const bars = Math.max(0, r.end - r.start);
    let oiBars = 0;
    let fBars = 0;
    for (let i = r.start; i < r.end; i++) {
      oiBars += masks.oi[i];
      fBars += masks.funding[i];
    }
    out.push({
      split: name,
      bars,
      first: bars ? formatUtc(md.time[r.start]) : null,
      last: bars ? formatUtc(md.time[r.end - 1]) : null,
      oiBars,
      oiShare: bars ? oiBars / bars : 0,
      fundingBars: fBars,
      fundingShare: bars ? fBars / bars : 0,
    });
  }
  const window = (m: Uint8Array) => {
    const a = m.indexOf(1);
    if (a < 0) return null;
    return { first: formatUtc(md.time[a]), last: formatUtc(md.time[m.lastIndexOf(1)]) };
  };
  const oiWindow = window(masks.oi);
  const fundingWindow = window(masks.funding);
  return {
    splits: out,
    hasOpenInterest: oiWindow !== null,
    hasFunding: fundingWindow !== null,
    oiWindow,
    fundingWindow,
    fundingIntervalMs: md.fundingIntervalMs ?? 0,
  };
}

/** The coverage report as a small text table, e.g. for the train CLI summary. */
export function formatCoverage(report: CoverageReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const rows = [["split", "bars", "first bar", "last bar", "OI", "funding"]];
  for (const s of report.splits) {
    rows.push([
      s.split,
      String(s.bars),
      s.first?.slice(0, 16) ?? "-",
      s.last?.slice(0, 16) ?? "-",
      report.hasOpenInterest ? `${pct(s.oiShare)} (${s.oiBars})` : "absent",
      report.hasFunding ? `${pct(s.fundingShare)} (${s.fundingBars})` : "absent",
    ]);
  }
  const w = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const lines = rows.map((r) =>
    r.map((c, j) => (j === 0 ? c.padEnd(w[j]) : c.padStart(w[j]))).join("  ")
  );
  lines.splice(1, 0, w.map((x) => "-".repeat(x)).join("  "));
  const win = (name: string, x: { first: string; last: string } | null) =>
    x
      ? `${name} known from ${x.first.slice(0, 16)} to ${x.last.slice(0, 16)} UTC`
      : `${name}: none`;
  return [
    "coverage of optional inputs per split (share of bars):",
    ...lines,
    win("OI", report.oiWindow),
    win("funding", report.fundingWindow),
  ].join("\n");
}

/** A refused configuration: a feature family is missing on too much of the training split. */
export class CoverageError extends DataError {
  /** The family (`oi` or `funding`). */
  readonly family: CoverageFamily;
  /** Share (0–1) of the training split where it is missing. */
  readonly missingShare: number;
  /** Remedies, each one actionable line. */
  readonly remedies: string[];

  /** `message` says what is missing where; the remedies become the hint ("Options: …"). */
  constructor(
    message: string,
    details: { family: CoverageFamily; missingShare: number; remedies: string[] },
  ) {
    super(message, {}, `Options: ${details.remedies.join("; or ")}`);
    this.family = details.family;
    this.missingShare = details.missingShare;
    this.remedies = details.remedies;
  }
}

/** Options of {@link checkCoverage}. */
export interface CoveragePolicy {
  /**
   * Largest share (0–1) of the TRAINING split on which a family present elsewhere in the data
   * may be missing. Default 0.2.
   */
  maxMissingShare?: number;
  /** Families the run does not use (e.g. `["oi"]` from `--features -oi`): never refused. */
  exclude?: readonly string[];
  /** Name of the training split in the report. Default `"train"`. */
  trainSplit?: string;
  /** How the CLI spells the family exclusion. Default `--features -<family>`. */
  excludeFlag?: (family: CoverageFamily) => string;
  /** How the CLI restricts the splits. Default `--split` with dates. */
  splitFlag?: string;
}

/** What {@link checkCoverage} decided per family (when it does not throw). */
export interface CoverageDecision {
  family: CoverageFamily;
  /** `excluded` (by the user), `absent` (nowhere in the data: neutral everywhere), `ok`. */
  status: "excluded" | "absent" | "ok";
  /** Share of the training split missing. */
  missingShare: number;
}

/**
 * Apply the coverage policy: a family that exists somewhere in the data, is not excluded,
 * and is missing on more than `maxMissingShare` of the training split throws a
 * {@link CoverageError} naming the remedies (drop the family, or restrict the splits to the
 * covered window). A family absent everywhere is consistent (neutral in every split) and
 * passes, as does an excluded one.
 */
export function checkCoverage(
  report: CoverageReport,
  policy: CoveragePolicy = {},
): CoverageDecision[] {
  const max = policy.maxMissingShare ?? 0.2;
  if (!(max >= 0 && max <= 1)) {
    throw new DataError(`maxMissingShare must be in [0, 1] (got ${max})`, {
      parameter: "maxMissingShare",
    });
  }
  const trainName = policy.trainSplit ?? "train";
  const train = report.splits.find((s) => s.split === trainName);
  if (!train) {
    throw new DataError(`no "${trainName}" split in the coverage report`, {
      parameter: "trainSplit",
    });
  }
  const exclude = new Set(policy.exclude ?? []);
  const out: CoverageDecision[] = [];
  for (const family of ["oi", "funding"] as const) {
    const present = family === "oi" ? report.hasOpenInterest : report.hasFunding;
    const share = family === "oi" ? train.oiShare : train.fundingShare;
    const missing = train.bars ? 1 - share : 1;
    if (exclude.has(family)) {
      out.push({ family, status: "excluded", missingShare: missing });
      continue;
    }
    if (!present) {
      out.push({ family, status: "absent", missingShare: missing });
      continue;
    }
    if (missing > max) {
      const name = family === "oi" ? "open interest" : "funding";
      const win = family === "oi" ? report.oiWindow! : report.fundingWindow!;
      const others = report.splits.filter((s) => s.split !== trainName).map((s) =>
        `${s.split} ${(100 * (family === "oi" ? s.oiShare : s.fundingShare)).toFixed(1)} %`
      ).join(", ");
      const flag = policy.excludeFlag?.(family) ?? `--features -${family}`;
      const remedies = [
        `drop the ${name} features with ${flag} (they become neutral and flagged unavailable in every split)`,
        `restrict the splits to the covered window ${win.first} … ${win.last} (${
          policy.splitFlag ?? "--split with dates inside it"
        })`,
      ];
      const famWord = family === "oi" ? "OI" : "funding";
      throw new CoverageError(
        `${name} is missing on ${(100 * missing).toFixed(1)} % of the training split ` +
          `(${
            train.bars - (family === "oi" ? train.oiBars : train.fundingBars)
          } of ${train.bars} bars; ` +
          `allowed ${(100 * max).toFixed(0)} %) but present later (${others}): a model trained ` +
          `with neutral ${famWord} features would meet real values it never saw`,
        { family, missingShare: missing, remedies },
      );
    }
    out.push({ family, status: "ok", missingShare: missing });
  }
  return out;
}
