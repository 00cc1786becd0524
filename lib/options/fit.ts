/**
 * Small linear fits used to calibrate the volatility and spread models on option chains:
 * weighted least squares (normal equations, Gaussian elimination with partial pivoting) and
 * least absolute deviations (iteratively reweighted least squares). Row-major design
 * matrices; a handful of columns.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";

/**
 * Coefficients `β` minimising `Σ wᵢ (yᵢ − xᵢ·β)²`. `x` is row-major `n × p`; `w` defaults to
 * ones. Throws {@link ConfigError} when the design is singular (collinear columns, n < p).
 */
export function leastSquares(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: { cols: number; weights?: ArrayLike<number> },
): Float64Array {
  const p = options.cols;
  const n = y.length;
  if (x.length !== n * p) {
    throw new ConfigError(`design has ${x.length} entries, expected ${n} × ${p}`, {
      parameter: "x",
    });
  }
  const a = new Float64Array(p * (p + 1)); // augmented [XᵀWX | XᵀWy]
  for (let i = 0; i < n; i++) {
    const w = options.weights ? options.weights[i] : 1;
    for (let j = 0; j < p; j++) {
      const xj = x[i * p + j] * w;
      for (let k = 0; k < p; k++) a[j * (p + 1) + k] += xj * x[i * p + k];
      a[j * (p + 1) + p] += xj * y[i];
    }
  }
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) {
      if (Math.abs(a[r * (p + 1) + c]) > Math.abs(a[piv * (p + 1) + c])) piv = r;
    }
    if (!(Math.abs(a[piv * (p + 1) + c]) > 1e-300)) {
      throw new ConfigError(
        "singular least-squares design",
        { parameter: "x" },
        "drop collinear columns or add data",
      );
    }
    for (let k = 0; k <= p; k++) {
      const t = a[c * (p + 1) + k];
      a[c * (p + 1) + k] = a[piv * (p + 1) + k];
      a[piv * (p + 1) + k] = t;
    }
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = a[r * (p + 1) + c] / a[c * (p + 1) + c];
      for (let k = c; k <= p; k++) a[r * (p + 1) + k] -= f * a[c * (p + 1) + k];
    }
  }
  const beta = new Float64Array(p);
  for (let c = 0; c < p; c++) beta[c] = a[c * (p + 1) + p] / a[c * (p + 1) + c];
  return beta;
}

/**
 * Coefficients minimising `Σ |yᵢ − xᵢ·β|` (median regression), by iteratively reweighted least
 * squares with weights `1 / max(|residual|, epsilon)` (default 1e-6), `iterations` rounds
 * (default 100).
 */
export function leastAbsoluteDeviations(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: { cols: number; iterations?: number; epsilon?: number },
): Float64Array {
  const p = options.cols;
  const n = y.length;
  const eps = options.epsilon ?? 1e-6;
  const w = new Float64Array(n).fill(1);
  let beta = leastSquares(x, y, { cols: p });
  for (let it = 0; it < (options.iterations ?? 100); it++) {
    for (let i = 0; i < n; i++) {
      let f = 0;
      for (let j = 0; j < p; j++) f += x[i * p + j] * beta[j];
      const r = Math.abs(y[i] - f);
      w[i] = 1 / (r > eps ? r : eps);
    }
    beta = leastSquares(x, y, { cols: p, weights: w });
  }
  return beta;
}

/** The `q`-quantile (0..1, linear interpolation) of the finite values of `v`; NaN when none. */
export function quantile(v: ArrayLike<number>, q: number): number {
  const a: number[] = [];
  for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i])) a.push(v[i]);
  if (a.length === 0) return NaN;
  a.sort((p, r) => p - r);
  const pos = q * (a.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return a[lo] + (a[hi] - a[lo]) * (pos - lo);
}
