/**
 * Black-Scholes-Merton prices and Greeks of European calls and puts on an underlying paying a
 * continuous dividend yield.
 *
 * ## Formulas (S spot, K strike, T years, r rate, q dividend yield, σ volatility)
 * `d1 = (ln(S/K) + (r − q + σ²/2)·T) / (σ√T)`, `d2 = d1 − σ√T`;
 * call `= S·e^{−qT}·Φ(d1) − K·e^{−rT}·Φ(d2)`, put `= K·e^{−rT}·Φ(−d2) − S·e^{−qT}·Φ(−d1)`.
 *
 * ## Units
 * - Prices per share of underlying (multiply by the contract multiplier, 100 for US equity
 *   options, for a contract's price).
 * - `years`: time to expiry in years of 365 days (ACT/365, calendar time; see
 *   {@link yearsToExpiry}). `rate`, `dividend`: continuously compounded, fraction per year
 *   (0.037 = 3.7 %). `vol`: annualised volatility, fraction (0.2 = 20 %).
 * - **delta** `∂V/∂S` (per 1 unit of spot), **gamma** `∂²V/∂S²`;
 *   **vega** `∂V/∂σ` PER 1.00 OF VOLATILITY (divide by 100 for "per vol point");
 *   **theta** `∂V/∂t` as calendar time passes, PER YEAR (divide by 365 for "per day");
 *   negative for a typical long option.
 *
 * ## Edge cases
 * `years ≤ 0`: the payoff `max(±(S − K), 0)`; delta is the payoff's slope (1/0, −1/0; 0.5 or
 * −0.5 exactly at the money), gamma, vega and theta are 0. `vol ≤ 0`: the discounted
 * deterministic payoff `max(±(S·e^{−qT} − K·e^{−rT}), 0)` with the matching delta and theta.
 *
 * Nothing here allocates: {@link bsmGreeks} writes into a caller-owned buffer.
 *
 * @module
 */
import { normCdf, normPdf } from "./normal.ts";

/** The contract and market inputs of one European option. Reuse one object in hot loops. */
export interface OptionInputs {
  /** true = call, false = put. */
  call: boolean;
  /** Underlying price (per share). */
  spot: number;
  /** Strike price (per share). */
  strike: number;
  /** Time to expiry, years of 365 days. */
  years: number;
  /** Risk-free rate, continuously compounded, fraction per year. */
  rate: number;
  /** Continuous dividend yield, fraction per year. */
  dividend: number;
  /** Annualised volatility, fraction. Ignored by {@link impliedVol}. */
  vol: number;
}

/** Slots of the buffer written by {@link bsmGreeks} (length {@link GREEK_COUNT}). */
export const Greek = {
  /** Price per share. */
  PRICE: 0,
  /** ∂V/∂S. */
  DELTA: 1,
  /** ∂²V/∂S². */
  GAMMA: 2,
  /** ∂V/∂σ per 1.00 of volatility. */
  VEGA: 3,
  /** ∂V/∂t per calendar year (negative = decay). */
  THETA: 4,
} as const;

/** Length of the {@link bsmGreeks} output buffer. */
export const GREEK_COUNT = 5;

/**
 * Black-Scholes-Merton price per share (see the module docs for units and edge cases).
 *
 * @example
 * ```ts
 * // Hull, Options, Futures and Other Derivatives, Example 15.6: 4.76 (call), 0.81 (put)
 * bsmPrice({ call: true, spot: 42, strike: 40, years: 0.5, rate: 0.1, dividend: 0, vol: 0.2 });
 * ```
 */
export function bsmPrice(o: OptionInputs): number {
  const s = o.spot;
  const k = o.strike;
  const t = o.years;
  if (!(t > 0)) {
    const v = o.call ? s - k : k - s;
    return v > 0 ? v : 0;
  }
  const dq = Math.exp(-o.dividend * t);
  const dr = Math.exp(-o.rate * t);
  const sig = o.vol;
  if (!(sig > 0)) {
    const v = o.call ? s * dq - k * dr : k * dr - s * dq;
    return v > 0 ? v : 0;
  }
  const sq = sig * Math.sqrt(t);
  const d1 = (Math.log(s / k) + (o.rate - o.dividend) * t) / sq + 0.5 * sq;
  const d2 = d1 - sq;
  return o.call
    ? s * dq * normCdf(d1) - k * dr * normCdf(d2)
    : k * dr * normCdf(-d2) - s * dq * normCdf(-d1);
}

/**
 * Price and Greeks into `out` at the {@link Greek} slots: price, delta, gamma, vega (per 1.00
 * vol), theta (per calendar year). `out.length ≥ 5`; allocates nothing.
 */
export function bsmGreeks(o: OptionInputs, out: Float64Array): void {
  const s = o.spot;
  const k = o.strike;
  const t = o.years;
  const call = o.call;
  if (!(t > 0)) {
    const v = call ? s - k : k - s;
    out[0] = v > 0 ? v : 0;
    out[1] = s === k ? (call ? 0.5 : -0.5) : v > 0 ? (call ? 1 : -1) : 0;
    out[2] = 0;
    out[3] = 0;
    out[4] = 0;
    return;
  }
  const q = o.dividend;
  const r = o.rate;
  const dq = Math.exp(-q * t);
  const dr = Math.exp(-r * t);
  const sig = o.vol;
  if (!(sig > 0)) {
    const v = call ? s * dq - k * dr : k * dr - s * dq;
    const itm = v > 0;
    out[0] = itm ? v : 0;
    out[1] = itm ? (call ? dq : -dq) : 0;
    out[2] = 0;
    out[3] = 0;
    // d/dt of ±(S e^{−q(T−t)} − K e^{−r(T−t)}) = ±(q S e^{−qT} − r K e^{−rT})
    out[4] = itm ? (call ? q * s * dq - r * k * dr : r * k * dr - q * s * dq) : 0;
    return;
  }
  const rt = Math.sqrt(t);
  const sq = sig * rt;
  const d1 = (Math.log(s / k) + (r - q) * t) / sq + 0.5 * sq;
  const d2 = d1 - sq;
  const pdf = normPdf(d1);
  const sdq = s * dq;
  const kdr = k * dr;
  const decay = -(sdq * pdf * sig) / (2 * rt);
  if (call) {
    const n1 = normCdf(d1);
    const n2 = normCdf(d2);
    out[0] = sdq * n1 - kdr * n2;
    out[1] = dq * n1;
    out[4] = decay - r * kdr * n2 + q * sdq * n1;
  } else {
    const n1 = normCdf(-d1);
    const n2 = normCdf(-d2);
    out[0] = kdr * n2 - sdq * n1;
    out[1] = -dq * n1;
    out[4] = decay + r * kdr * n2 - q * sdq * n1;
  }
  out[2] = (dq * pdf) / (s * sq);
  out[3] = sdq * pdf * rt;
}

/**
 * No-arbitrage bounds of a European option's price per share: `[lower, upper)` with lower =
 * the discounted intrinsic value `max(±(S·e^{−qT} − K·e^{−rT}), 0)` and upper = `S·e^{−qT}`
 * (call) or `K·e^{−rT}` (put). Writes `out[0] = lower`, `out[1] = upper`.
 */
export function priceBounds(o: OptionInputs, out: Float64Array): void {
  const t = o.years > 0 ? o.years : 0;
  const sdq = o.spot * Math.exp(-o.dividend * t);
  const kdr = o.strike * Math.exp(-o.rate * t);
  const v = o.call ? sdq - kdr : kdr - sdq;
  out[0] = v > 0 ? v : 0;
  out[1] = o.call ? sdq : kdr;
}
