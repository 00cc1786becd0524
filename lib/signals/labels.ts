/**
 * Three-class direction labels of the forward return, with a volatility-scaled dead zone.
 *
 * For bar `t` with horizon `H`:
 * - forward return `r_t = close[t+H]/close[t] − 1` (fraction) — it reads the FUTURE, which
 *   is why labels are never features and training rows whose label window reaches into an
 *   evaluation range are purged;
 * - threshold `θ_t = deadZone · σ_t · √H`, with `σ_t` the population std of the last
 *   `volWindow` one-bar log returns up to bar `t` (per-bar fraction, known at `t`);
 * - label `2 = up` if `r_t > θ_t`, `0 = down` if `r_t < −θ_t`, else `1 = flat`.
 *
 * The default `deadZone = 0.43` puts about a third of the bars in each class when returns
 * are Gaussian (P(|Z| < 0.43) ≈ 1/3). Bars whose label is unknown (the last `H` bars, the
 * first `volWindow` bars, non-finite prices) get label −1 and NaN forward return.
 *
 * We chose a fixed-horizon dead-zone label over triple-barrier labels because its
 * expected-return semantics match the `target` output (expected forward return over `H`).
 *
 * @module
 */

import type { MarketData } from "../data/mod.ts";
import { ConfigError } from "../util/mod.ts";

/** Class codes of {@link Labels.label}. */
export const SIGNAL_CLASSES = ["down", "flat", "up"] as const;

/** Options of {@link makeLabels}. */
export interface LabelOptions {
  /** Forward horizon `H` in bars. Default 12 (one hour of 5-minute bars). */
  horizon?: number;
  /** Dead-zone half-width in units of `σ_t·√H`. Default 0.43. */
  deadZone?: number;
  /** Bars of one-bar log returns in the volatility estimate `σ_t`. Default 96 (8 h of 5 m). */
  volWindow?: number;
}

/** Per-bar labels (all arrays of the market's length). */
export interface Labels {
  /** 0 down, 1 flat, 2 up; −1 where unknown. */
  label: Int8Array;
  /** `close[t+H]/close[t] − 1` (fraction); NaN where unknown. */
  forwardReturn: Float64Array;
  /** Dead-zone half-width `θ_t` (fraction); NaN where unknown. */
  threshold: Float64Array;
  /** Resolved options. */
  horizon: number;
  deadZone: number;
  volWindow: number;
}

/** Resolve and check label options. */
export function resolveLabelOptions(options: LabelOptions = {}): Required<LabelOptions> {
  const horizon = options.horizon ?? 12;
  const deadZone = options.deadZone ?? 0.43;
  const volWindow = options.volWindow ?? 96;
  if (!Number.isInteger(horizon) || horizon < 1) {
    throw new ConfigError(`horizon must be a positive integer (bars), got ${horizon}`, {
      parameter: "horizon",
    });
  }
  if (!(deadZone >= 0) || !Number.isFinite(deadZone)) {
    throw new ConfigError(`deadZone must be ≥ 0, got ${deadZone}`, { parameter: "deadZone" });
  }
  if (!Number.isInteger(volWindow) || volWindow < 2) {
    throw new ConfigError(`volWindow must be an integer ≥ 2, got ${volWindow}`, {
      parameter: "volWindow",
    });
  }
  return { horizon, deadZone, volWindow };
}

/** Compute the labels of every bar of `md` (see the module documentation). */
export function makeLabels(md: MarketData, options: LabelOptions = {}): Labels {
  const { horizon: H, deadZone, volWindow: W } = resolveLabelOptions(options);
  const c = md.close;
  const n = c.length;
  const label = new Int8Array(n).fill(-1);
  const forwardReturn = new Float64Array(n).fill(NaN);
  const threshold = new Float64Array(n).fill(NaN);
  const r = new Float64Array(n).fill(NaN);
  for (let i = 1; i < n; i++) r[i] = Math.log(c[i] / c[i - 1]);
  const sqrtH = Math.sqrt(H);
  for (let t = W; t < n; t++) {
    let m = 0;
    for (let k = t - W + 1; k <= t; k++) m += r[k];
    m /= W;
    let v = 0;
    for (let k = t - W + 1; k <= t; k++) v += (r[k] - m) * (r[k] - m);
    const th = deadZone * Math.sqrt(v / W) * sqrtH;
    if (!Number.isFinite(th)) continue;
    threshold[t] = th;
    if (t + H >= n) continue;
    const fr = c[t + H] / c[t] - 1;
    if (!Number.isFinite(fr)) continue;
    forwardReturn[t] = fr;
    label[t] = fr > th ? 2 : fr < -th ? 0 : 1;
  }
  return { label, forwardReturn, threshold, horizon: H, deadZone, volWindow: W };
}
