/**
 * Is a Sharpe difference more than noise? A paired stationary block bootstrap (Politis &
 * Romano 1994, "The Stationary Bootstrap", JASA 89:1303–1313) of two strategies' per-bar
 * returns over the same bars, with the mean block length chosen automatically by Politis &
 * White (2004, "Automatic Block-Length Selection for the Dependent Bootstrap", Econometric
 * Reviews 23:53–70) with the correction of Patton, Politis & White (2009).
 *
 * @module
 */
import { ConfigError, Rng } from "../util/mod.ts";
import { ZERO_STD_TOLERANCE } from "../metrics/mod.ts";

/**
 * Politis–White automatic mean block length for the stationary bootstrap of `x` (bars,
 * ≥ 1, not necessarily an integer). Uses the flat-top lag window; autocorrelations are
 * "insignificant" below 2·√(log10(n)/n) for K_N = max(5, ⌈√log10 n⌉) consecutive lags;
 * the result is capped at ⌈min(3√n, n/3)⌉. Returns 1 for fewer than 9 values or a
 * constant series.
 */
export function optimalBlockLength(x: ArrayLike<number>): number {
  const n = x.length;
  if (n < 9) return 1;
  let mu = 0;
  for (let i = 0; i < n; i++) mu += x[i];
  mu /= n;
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = x[i] - mu;
  const kn = Math.max(5, Math.ceil(Math.sqrt(Math.log10(n))));
  const mmax = Math.ceil(Math.sqrt(n)) + kn;
  const bmax = Math.ceil(Math.min(3 * Math.sqrt(n), n / 3));
  const c = 2;
  const acov = (k: number): number => {
    let s = 0;
    for (let i = k; i < n; i++) s += d[i] * d[i - k];
    return s / n;
  };
  const r0 = acov(0);
  if (!(r0 > 0)) return 1;
  const maxLag = Math.min(mmax + kn, n - 1);
  const rho = new Float64Array(maxLag + 1);
  const R = new Float64Array(maxLag + 1);
  R[0] = r0;
  rho[0] = 1;
  for (let k = 1; k <= maxLag; k++) {
    R[k] = acov(k);
    rho[k] = R[k] / r0;
  }
  const bound = c * Math.sqrt(Math.log10(n) / n);
  // smallest m such that rho(m+1..m+kn) are all insignificant
  let mhat = -1;
  for (let m = 0; m + kn <= maxLag && m <= mmax; m++) {
    let ok = true;
    for (let j = 1; j <= kn; j++) {
      if (Math.abs(rho[m + j]) >= bound) {
        ok = false;
        break;
      }
    }
    if (ok) {
      mhat = m;
      break;
    }
  }
  if (mhat < 0) {
    // no run of insignificant lags: take the largest significant lag within mmax
    mhat = 0;
    for (let k = 1; k <= Math.min(mmax, maxLag); k++) if (Math.abs(rho[k]) > bound) mhat = k;
  }
  const M = Math.min(2 * Math.max(mhat, 1), mmax, maxLag);
  const lambda = (t: number): number => {
    const a = Math.abs(t);
    return a <= 0.5 ? 1 : a <= 1 ? 2 * (1 - a) : 0;
  };
  let G = 0;
  let g0 = R[0];
  for (let k = 1; k <= M; k++) {
    const w = lambda(k / M);
    G += 2 * w * k * R[k];
    g0 += 2 * w * R[k];
  }
  const D = 2 * g0 * g0;
  if (!(D > 0) || G === 0) return 1;
  const b = Math.pow((2 * G * G) / D, 1 / 3) * Math.pow(n, 1 / 3);
  return Math.min(Math.max(b, 1), bmax);
}

/** Options of {@link bootstrapSharpeDifference}. */
export interface BootstrapOptions {
  /** Bars per year for annualising the Sharpe ratios. Required. */
  periodsPerYear: number;
  /** Bootstrap resamples. Default 2000. */
  samples?: number;
  /** Mean block length in bars. Default: {@link optimalBlockLength} of the difference series. */
  meanBlockLength?: number;
  /** PRNG seed. Default 0. */
  seed?: number;
  /** Two-sided confidence level of the interval. Default 0.95. */
  confidence?: number;
}

/** Result of {@link bootstrapSharpeDifference}. Sharpe ratios annualised. */
export interface SharpeDifferenceTest {
  /** Sharpe of `a` on the original sample (zero-variance series count as 0). */
  sharpeA: number;
  /** Sharpe of `b` on the original sample. */
  sharpeB: number;
  /** sharpeA − sharpeB. */
  difference: number;
  /** Percentile bootstrap interval of the difference at {@link confidence}. */
  ciLow: number;
  ciHigh: number;
  confidence: number;
  /** Bootstrap standard error of the difference. */
  stdError: number;
  /**
   * Two-sided p-value of H0 "no Sharpe difference", by inverting the percentile interval:
   * twice the smaller bootstrap tail beyond 0, `min(1, 2 · (1 + min(#{d* ≤ 0}, #{d* ≥ 0})) /
   * (B + 1))` — the smallest α at which the (1 − α) percentile interval excludes 0, so the
   * p-value and {@link ciLow}/{@link ciHigh} never disagree.
   */
  pValue: number;
  /** Resamples B. */
  samples: number;
  /** Mean block length used, bars. */
  meanBlockLength: number;
  /** Number of bars. */
  bars: number;
}

function sharpeFromSums(s: number, ss: number, n: number, mx: number, sq: number): number {
  const m = s / n;
  const v = (ss - n * m * m) / (n - 1);
  const sd = v > 0 ? Math.sqrt(v) : 0;
  return sd <= ZERO_STD_TOLERANCE * mx ? 0 : (m / sd) * sq;
}

function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Paired stationary block bootstrap of the difference of annualised Sharpe ratios of two
 * per-bar return series over the SAME bars (`a[i]` and `b[i]` are the returns of bar i).
 * Blocks start at uniform random bars, have geometric lengths with mean
 * `meanBlockLength`, and wrap around the end. Deterministic for a seed. Within a resample a
 * zero-variance series (e.g. always flat) has Sharpe 0.
 */
export function bootstrapSharpeDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: BootstrapOptions,
): SharpeDifferenceTest {
  const n = a.length;
  if (b.length !== n) {
    throw new ConfigError(
      `bootstrapSharpeDifference: series lengths differ (${n} vs ${b.length})`,
      { parameter: "b" },
      "align both strategies on the same bars first (alignReturns)",
    );
  }
  if (n < 3) {
    throw new ConfigError(`bootstrapSharpeDifference: need ≥ 3 bars, got ${n}`, {
      parameter: "a",
    });
  }
  if (!(options.periodsPerYear > 0)) {
    throw new ConfigError("bootstrapSharpeDifference: periodsPerYear must be > 0", {
      parameter: "periodsPerYear",
    });
  }
  const B = options.samples ?? 2000;
  const conf = options.confidence ?? 0.95;
  const sq = Math.sqrt(options.periodsPerYear);
  const diff = new Float64Array(n);
  let sa = 0, ssa = 0, sb = 0, ssb = 0, mxa = 0, mxb = 0;
  for (let i = 0; i < n; i++) {
    diff[i] = a[i] - b[i];
    sa += a[i];
    ssa += a[i] * a[i];
    sb += b[i];
    ssb += b[i] * b[i];
    mxa = Math.max(mxa, Math.abs(a[i]));
    mxb = Math.max(mxb, Math.abs(b[i]));
  }
  const L = options.meanBlockLength ?? optimalBlockLength(diff);
  if (!(L >= 1)) {
    throw new ConfigError(`meanBlockLength must be ≥ 1, got ${L}`, {
      parameter: "meanBlockLength",
    });
  }
  const shA = sharpeFromSums(sa, ssa, n, mxa, sq);
  const shB = sharpeFromSums(sb, ssb, n, mxb, sq);
  const d0 = shA - shB;
  const p = 1 / L;
  const rng = new Rng(options.seed ?? 0);
  const ds = new Float64Array(B);
  for (let k = 0; k < B; k++) {
    let s1 = 0, q1 = 0, s2 = 0, q2 = 0;
    let idx = rng.int(n);
    for (let t = 0; t < n; t++) {
      if (t > 0) idx = rng.next() < p ? rng.int(n) : idx + 1 === n ? 0 : idx + 1;
      const x = a[idx];
      const y = b[idx];
      s1 += x;
      q1 += x * x;
      s2 += y;
      q2 += y * y;
    }
    ds[k] = sharpeFromSums(s1, q1, n, mxa, sq) - sharpeFromSums(s2, q2, n, mxb, sq);
  }
  let m = 0;
  for (let k = 0; k < B; k++) m += ds[k];
  m /= B;
  let v = 0;
  let below = 0;
  let above = 0;
  for (let k = 0; k < B; k++) {
    v += (ds[k] - m) ** 2;
    if (ds[k] <= 0) below++;
    if (ds[k] >= 0) above++;
  }
  const sorted = ds.slice().sort();
  const alpha = 1 - conf;
  return {
    sharpeA: shA,
    sharpeB: shB,
    difference: d0,
    ciLow: quantile(sorted, alpha / 2),
    ciHigh: quantile(sorted, 1 - alpha / 2),
    confidence: conf,
    stdError: Math.sqrt(v / Math.max(1, B - 1)),
    pValue: Math.min(1, (2 * (1 + Math.min(below, above))) / (B + 1)),
    samples: B,
    meanBlockLength: L,
    bars: n,
  };
}

/**
 * Per-bar returns of two equity curves aligned on common bar times: for each time present in
 * both `timeA` and `timeB` (after each curve's first point), the simple return since the
 * previous common time. A curve that ended early (ruin) is carried flat (return 0) to the
 * other's end. Returns the aligned times and both return series.
 */
export function alignReturns(
  timeA: ArrayLike<number>,
  equityA: ArrayLike<number>,
  timeB: ArrayLike<number>,
  equityB: ArrayLike<number>,
): { time: Float64Array; a: Float64Array; b: Float64Array } {
  const mapA = new Map<number, number>();
  const mapB = new Map<number, number>();
  for (let i = 0; i < timeA.length; i++) mapA.set(timeA[i], equityA[i]);
  for (let i = 0; i < timeB.length; i++) mapB.set(timeB[i], equityB[i]);
  const lastA = timeA[timeA.length - 1];
  const lastB = timeB[timeB.length - 1];
  const start = Math.max(timeA[0], timeB[0]);
  const all = new Set<number>();
  for (let i = 0; i < timeA.length; i++) if (timeA[i] >= start) all.add(timeA[i]);
  for (let i = 0; i < timeB.length; i++) if (timeB[i] >= start) all.add(timeB[i]);
  const times: number[] = [];
  const ea: number[] = [];
  const eb: number[] = [];
  for (const t of [...all].sort((x, y) => x - y)) {
    // a curve that has ended is carried flat at its final equity
    const va = mapA.get(t) ?? (t > lastA ? equityA[equityA.length - 1] : undefined);
    const vb = mapB.get(t) ?? (t > lastB ? equityB[equityB.length - 1] : undefined);
    if (va === undefined || vb === undefined) continue;
    times.push(t);
    ea.push(va);
    eb.push(vb);
  }
  const n = Math.max(0, times.length - 1);
  const out = { time: new Float64Array(n), a: new Float64Array(n), b: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    out.time[i] = times[i + 1];
    out.a[i] = ea[i] > 0 ? ea[i + 1] / ea[i] - 1 : 0;
    out.b[i] = eb[i] > 0 ? eb[i + 1] / eb[i] - 1 : 0;
  }
  return out;
}
