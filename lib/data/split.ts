/**
 * Chronological splits: train / validation / test by fraction or by date, and walk-forward
 * folds (expanding or rolling) with purge and embargo gaps.
 *
 * All ranges are bar indices `[start, end)` (end exclusive) into a {@link MarketData} (or any
 * per-bar array). Nothing is shuffled: every training bar precedes every evaluation bar.
 *
 * Gaps, in bars, between a training range and the evaluation range after it:
 * - `purge`: bars dropped because a training row's label looks `purge` bars ahead (e.g. a
 *   12-bar forward-return target needs `purge ≥ 12`), so no training label reads a price of
 *   the evaluation range;
 * - `embargo`: further bars dropped to let serially correlated features (rolling windows,
 *   volatility) decorrelate before evaluation starts.
 * The evaluation range starts `purge + embargo` bars after the training range ends.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";

/** A half-open range of bar indices `[start, end)`. */
export interface IndexRange {
  /** First bar index (inclusive). */
  start: number;
  /** One past the last bar index (exclusive). */
  end: number;
}

/** Chronological train / validation / test ranges. */
export interface SplitRanges {
  train: IndexRange;
  validation: IndexRange;
  test: IndexRange;
}

/** One walk-forward fold. */
export interface Fold {
  /** Training bars. */
  train: IndexRange;
  /** Evaluation bars (start `purge + embargo` bars after `train.end`). */
  test: IndexRange;
}

/** Gap options shared by the split functions (bars, non-negative integers). */
export interface GapOptions {
  /** Bars removed after each training range for label look-ahead. Default 0. */
  purge?: number;
  /** Extra bars removed after the purge before evaluation. Default 0. */
  embargo?: number;
}

/** Options of {@link splitByFraction}. Fractions of the bar count; they must sum to ≤ 1. */
export interface FractionSplitOptions extends GapOptions {
  /** Fraction of bars for training (0–1). Default 0.6 ({@link DEFAULT_SPLIT_FRACTIONS}). */
  train?: number;
  /** Fraction of bars for validation (0–1). Default 0.15. */
  validation?: number;
  /** Fraction of bars for test (0–1). Default 0.25. */
  test?: number;
}

/**
 * Default split fractions: 60 % train, 15 % validation, 25 % test. On the default synthetic
 * market (24 months of 5-minute bars) that is 14.4 / 3.6 / 6 months: the held-out test
 * split covers the six months the specification's "6-month return" target is stated on.
 */
export const DEFAULT_SPLIT_FRACTIONS: Readonly<
  { train: number; validation: number; test: number }
> = Object.freeze({ train: 0.6, validation: 0.15, test: 0.25 });

/**
 * Split `n` bars chronologically by fractions (default 0.6 / 0.15 / 0.25). The boundaries
 * are `floor(n·train)` and `floor(n·(train+validation))`; the gap `purge + embargo` is cut
 * from the START of validation and of test (so training keeps its full fraction). If the
 * fractions sum to less than 1 the last bars are left unused.
 */
export function splitByFraction(n: number, options: FractionSplitOptions = {}): SplitRanges {
  checkCount(n);
  const fTrain = options.train ?? DEFAULT_SPLIT_FRACTIONS.train;
  const fVal = options.validation ?? DEFAULT_SPLIT_FRACTIONS.validation;
  const fTest = options.test ?? DEFAULT_SPLIT_FRACTIONS.test;
  for (const [name, f] of [["train", fTrain], ["validation", fVal], ["test", fTest]] as const) {
    if (!(f >= 0 && f <= 1)) {
      throw new ConfigError(`split fraction ${name} must be in [0, 1], got ${f}`, {
        parameter: name,
      });
    }
  }
  if (fTrain + fVal + fTest > 1 + 1e-9) {
    throw new ConfigError(
      `split fractions sum to ${fTrain + fVal + fTest} > 1`,
      { parameter: "train/validation/test" },
      "use fractions such as 0.7 / 0.15 / 0.15",
    );
  }
  const gap = gapOf(options);
  // The 1e-9 absorbs binary rounding (100 × (0.5 + 0.2 + 0.2) = 89.999…).
  const cut = (f: number) => Math.min(n, Math.floor(n * f + 1e-9));
  const b1 = cut(fTrain);
  const b2 = cut(fTrain + fVal);
  const b3 = fTrain + fVal + fTest >= 1 - 1e-9 ? n : cut(fTrain + fVal + fTest);
  return finish(n, b1, b2, b3, gap);
}

/** Options of {@link splitByDate}. Dates are UTC epoch ms or ISO-8601 strings. */
export interface DateSplitOptions extends GapOptions {
  /** First bar of validation: the first bar whose open time is ≥ this date. */
  validationStart: number | string;
  /** First bar of test: the first bar whose open time is ≥ this date. */
  testStart: number | string;
  /** Optional end (exclusive) of the test range; default: all bars. */
  testEnd?: number | string;
  /** Optional start of training; default: the first bar. */
  trainStart?: number | string;
}

/**
 * Split by dates on the bars' open times (UTC epoch ms, increasing). The gap
 * `purge + embargo` is cut from the start of validation and of test.
 */
export function splitByDate(time: ArrayLike<number>, options: DateSplitOptions): SplitRanges {
  const n = time.length;
  checkCount(n);
  const v = toMs(options.validationStart, "validationStart");
  const te = toMs(options.testStart, "testStart");
  if (!(v <= te)) {
    throw new ConfigError("validationStart must not be after testStart", {
      parameter: "validationStart",
    });
  }
  const start = options.trainStart === undefined
    ? 0
    : lowerBound(time, toMs(options.trainStart, "trainStart"));
  const end = options.testEnd === undefined
    ? n
    : lowerBound(time, toMs(options.testEnd, "testEnd"));
  const b1 = Math.max(start, lowerBound(time, v));
  const b2 = Math.max(b1, lowerBound(time, te));
  const r = finish(n, b1, b2, Math.max(b2, end), gapOf(options));
  r.train.start = Math.min(start, r.train.end);
  return r;
}

/** Options of {@link walkForwardFolds}. */
export interface WalkForwardOptions extends GapOptions {
  /** Number of folds (≥ 1). Default 5. */
  folds?: number;
  /** `"expanding"` (train from bar 0) or `"rolling"` (fixed-length train). Default expanding. */
  mode?: "expanding" | "rolling";
  /** Bars per test window. Default: `floor((n − minTrain − gap) / folds)`. */
  testSize?: number;
  /**
   * Training bars of the first fold (and of every fold when rolling). Default: what is left
   * before the first test window: `n − folds·testSize − gap`.
   */
  trainSize?: number;
  /** Smallest acceptable training size, bars. Default 1 (or `trainSize` if given). */
  minTrain?: number;
}

/**
 * Walk-forward folds over `n` bars. Test windows are consecutive, non-overlapping and end at
 * bar `n` (they are the last `folds·testSize` bars); fold k trains on
 * `[0, testStart_k − gap)` when expanding or on the `trainSize` bars ending there when
 * rolling, with `gap = purge + embargo`.
 */
export function walkForwardFolds(n: number, options: WalkForwardOptions = {}): Fold[] {
  checkCount(n);
  const k = options.folds ?? 5;
  if (!Number.isInteger(k) || k < 1) {
    throw new ConfigError(`folds must be a positive integer, got ${k}`, { parameter: "folds" });
  }
  const mode = options.mode ?? "expanding";
  if (mode !== "expanding" && mode !== "rolling") {
    throw new ConfigError(`mode must be "expanding" or "rolling", got ${mode}`, {
      parameter: "mode",
    });
  }
  const gap = gapOf(options);
  const minTrain = options.minTrain ?? options.trainSize ?? 1;
  const testSize = options.testSize ?? Math.floor((n - minTrain - gap) / k);
  if (!Number.isInteger(testSize) || testSize < 1) {
    throw new ConfigError(
      `not enough bars for ${k} folds: ${n} bars, gap ${gap}, minimum train ${minTrain}`,
      { parameter: "folds" },
      "use fewer folds, a smaller purge/embargo or more data",
    );
  }
  const firstTest = n - k * testSize;
  const firstTrainEnd = firstTest - gap;
  const trainSize = options.trainSize ?? firstTrainEnd;
  if (firstTrainEnd < Math.max(minTrain, 1) || trainSize < 1 || trainSize > firstTrainEnd) {
    throw new ConfigError(
      `walk-forward does not fit: first training range would end at bar ${firstTrainEnd} ` +
        `(need ≥ ${Math.max(minTrain, trainSize, 1)}) for ${k} test windows of ${testSize} bars`,
      { parameter: "testSize" },
      "use fewer folds, a smaller testSize/trainSize or a smaller purge/embargo",
    );
  }
  const out: Fold[] = [];
  for (let i = 0; i < k; i++) {
    const ts = firstTest + i * testSize;
    const trainEnd = ts - gap;
    const trainStart = mode === "expanding" ? 0 : trainEnd - trainSize;
    out.push({
      train: { start: trainStart, end: trainEnd },
      test: { start: ts, end: ts + testSize },
    });
  }
  return out;
}

/** Number of bars in a range. */
export function rangeLength(r: IndexRange): number {
  return Math.max(0, r.end - r.start);
}

function finish(n: number, b1: number, b2: number, b3: number, gap: number): SplitRanges {
  const vs = Math.min(b1 + gap, b2);
  const ts = Math.min(b2 + gap, b3);
  const r: SplitRanges = {
    train: { start: 0, end: b1 },
    validation: { start: vs, end: b2 },
    test: { start: ts, end: Math.min(b3, n) },
  };
  return r;
}

function gapOf(o: GapOptions): number {
  const purge = o.purge ?? 0;
  const embargo = o.embargo ?? 0;
  for (const [name, g] of [["purge", purge], ["embargo", embargo]] as const) {
    if (!Number.isInteger(g) || g < 0) {
      throw new ConfigError(`${name} must be a non-negative integer number of bars, got ${g}`, {
        parameter: name,
      });
    }
  }
  return purge + embargo;
}

function checkCount(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new ConfigError(`need a positive bar count, got ${n}`, { parameter: "n" });
  }
}

function toMs(x: number | string, name: string): number {
  const ms = typeof x === "number"
    ? x
    : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(x) || x.length <= 10 ? x : `${x}Z`);
  if (!Number.isFinite(ms)) {
    throw new ConfigError(
      `${name} is not a valid date: ${x}`,
      { parameter: name },
      "use epoch ms or ISO-8601 such as 2024-05-01 or 2024-05-01T00:00:00Z (UTC)",
    );
  }
  return ms;
}

/** First index with `a[i] >= x` (a increasing). */
function lowerBound(a: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
