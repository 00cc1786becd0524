/**
 * Classification diagnostics of the out-of-sample signals and of naive baselines.
 *
 * @module
 */

/** One reliability bin: predictions whose confidence fell in `[lo, hi)`. */
export interface CalibrationBin {
  lo: number;
  hi: number;
  /** Number of predictions in the bin. */
  count: number;
  /** Mean confidence (max class probability) in the bin; NaN if empty. */
  meanConfidence: number;
  /** Fraction of correct predictions in the bin; NaN if empty. */
  accuracy: number;
}

/** Scores of 3-class predictions against labels. */
export interface ClassificationReport {
  /** Number of scored rows (labelled and predicted). */
  count: number;
  /** Fraction of correct predictions. */
  accuracy: number;
  /** Mean over the classes present of the per-class recall (chance = 1/3 with 3 classes). */
  balancedAccuracy: number;
  /** Mean negative log-likelihood (nats) of the true class; NaN for hard-only predictions. */
  logLoss: number;
  /** `confusion[true][predicted]` counts. */
  confusion: number[][];
  /** Labels per class `[down, flat, up]` among the scored rows. */
  classCounts: number[];
  /** Reliability bins of the confidence (empty for hard-only predictions). */
  calibration: CalibrationBin[];
}

/** Probabilities are clipped to `[EPS, 1]` in the log-loss. */
const EPS = 1e-7;

/**
 * Score predictions on rows `[start, end)` where `label ≥ 0` and `pred ≥ 0`.
 *
 * @param label true class per row (−1 = unknown, skipped)
 * @param pred predicted class per row (−1 = none, skipped)
 * @param options.probs optional row-major `rows × 3` class probabilities for log-loss/calibration
 * @param options.bins number of equal-width confidence bins on [0, 1] (default 10)
 */
export function scorePredictions(
  label: ArrayLike<number>,
  pred: ArrayLike<number>,
  options: { probs?: ArrayLike<number>; start?: number; end?: number; bins?: number } = {},
): ClassificationReport {
  const start = options.start ?? 0;
  const end = options.end ?? label.length;
  const probs = options.probs;
  const nb = options.bins ?? 10;
  const confusion = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const binCount = new Array<number>(nb).fill(0);
  const binConf = new Array<number>(nb).fill(0);
  const binHit = new Array<number>(nb).fill(0);
  let count = 0;
  let correct = 0;
  let nll = 0;
  for (let i = start; i < end; i++) {
    const y = label[i];
    const p = pred[i];
    if (!(y >= 0) || !(p >= 0)) continue;
    count++;
    confusion[y][p]++;
    if (y === p) correct++;
    if (probs) {
      nll -= Math.log(Math.max(EPS, probs[i * 3 + y]));
      const conf = Math.max(probs[i * 3], probs[i * 3 + 1], probs[i * 3 + 2]);
      const b = Math.min(nb - 1, Math.floor(conf * nb));
      binCount[b]++;
      binConf[b] += conf;
      if (y === p) binHit[b]++;
    }
  }
  const classCounts = confusion.map((row) => row[0] + row[1] + row[2]);
  let recallSum = 0;
  let present = 0;
  for (let c = 0; c < 3; c++) {
    if (classCounts[c] > 0) {
      recallSum += confusion[c][c] / classCounts[c];
      present++;
    }
  }
  const calibration: CalibrationBin[] = probs
    ? binCount.map((k, b) => ({
      lo: b / nb,
      hi: (b + 1) / nb,
      count: k,
      meanConfidence: k > 0 ? binConf[b] / k : NaN,
      accuracy: k > 0 ? binHit[b] / k : NaN,
    }))
    : [];
  return {
    count,
    accuracy: count > 0 ? correct / count : NaN,
    balancedAccuracy: present > 0 ? recallSum / present : NaN,
    logLoss: probs && count > 0 ? nll / count : NaN,
    confusion,
    classCounts,
    calibration,
  };
}

/**
 * Expected calibration error: count-weighted mean |accuracy − confidence| over the bins
 * (fraction; 0 = perfectly calibrated).
 */
export function expectedCalibrationError(bins: CalibrationBin[]): number {
  let total = 0;
  let err = 0;
  for (const b of bins) {
    if (b.count === 0) continue;
    total += b.count;
    err += b.count * Math.abs(b.accuracy - b.meanConfidence);
  }
  return total > 0 ? err / total : NaN;
}

/** A short one-line summary (percentages for readability). */
export function formatReport(name: string, r: ClassificationReport): string {
  const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(2)} %` : "n/a");
  const ll = Number.isFinite(r.logLoss) ? r.logLoss.toFixed(4) : "n/a";
  return `${name}: n=${r.count} accuracy=${pct(r.accuracy)} balanced=${
    pct(r.balancedAccuracy)
  } logloss=${ll}`;
}
