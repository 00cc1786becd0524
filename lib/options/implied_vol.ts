/**
 * Implied volatility: the `σ` at which the Black-Scholes-Merton price equals a quoted price.
 *
 * ## Method
 * The BSM price is strictly increasing in σ (vega > 0), so on a bracket `[volLow, volHigh]`
 * (default [1e-6, 10], i.e. 0.0001 % to 1000 % a year) there is at most one root. The solver
 * keeps a bracket `[a, b]` with `price(a) < target < price(b)` and takes Newton steps
 * `σ ← σ − (price(σ) − target) / vega(σ)` from the Brenner-Subrahmanyam-style start
 * `σ₀ = √(2·|ln(F/K)| / T)` blended with the at-the-money guess `√(2π/T)·target/(S·e^{−qT})`;
 * a step that leaves the bracket, a vega below 1e-12, or a Newton step that fails to halve
 * the error is replaced by bisection. It stops when `|price(σ) − target| ≤ priceTolerance` or
 * the bracket is narrower than `volTolerance`.
 *
 * ## When there is no answer (`null`)
 * A non-finite or negative price; a price below the no-arbitrage lower bound (discounted
 * intrinsic value) or at/above the upper bound (`S·e^{−qT}` for calls, `K·e^{−rT}` for puts);
 * a price not reached inside the bracket (e.g. so close to intrinsic that σ < `volLow`); no
 * time left (`years ≤ 0`); non-positive spot or strike.
 *
 * @module
 */
import { bsmGreeks, type OptionInputs } from "./bsm.ts";

/** Options of {@link impliedVol}. */
export interface ImpliedVolOptions {
  /** Stop when the repriced option is within this of the target, per share. Default 1e-10. */
  priceTolerance?: number;
  /** Stop when the bracket is narrower than this, in vol (fraction). Default 1e-12. */
  volTolerance?: number;
  /** Lowest volatility searched (fraction/yr). Default 1e-6. */
  volLow?: number;
  /** Highest volatility searched (fraction/yr). Default 10. */
  volHigh?: number;
  /** Iteration cap (Newton + bisection). Default 100. */
  maxIterations?: number;
}

// scratch: a private copy of the inputs and a Greeks buffer (no allocation per call)
const G = new Float64Array(5);
const IN: OptionInputs = {
  call: true,
  spot: 0,
  strike: 0,
  years: 0,
  rate: 0,
  dividend: 0,
  vol: 0,
};

function priceAt(vol: number): number {
  IN.vol = vol;
  bsmGreeks(IN, G);
  return G[0];
}

/**
 * The implied volatility (annualised fraction) of a European option quoted at `price` per
 * share, or `null` when no volatility in `[volLow, volHigh]` reproduces it (see the module
 * docs). `o.vol` is ignored.
 *
 * @example
 * ```ts
 * const o = { call: true, spot: 42, strike: 40, years: 0.5, rate: 0.1, dividend: 0, vol: 0 };
 * impliedVol(4.7594, o); // ≈ 0.2
 * ```
 */
export function impliedVol(
  price: number,
  o: OptionInputs,
  options: ImpliedVolOptions = {},
): number | null {
  const ptol = options.priceTolerance ?? 1e-10;
  const vtol = options.volTolerance ?? 1e-12;
  const maxIt = options.maxIterations ?? 100;
  let a = options.volLow ?? 1e-6;
  let b = options.volHigh ?? 10;
  const s = o.spot;
  const k = o.strike;
  const t = o.years;
  if (!(price >= 0) || !Number.isFinite(price) || !(t > 0) || !(s > 0) || !(k > 0)) return null;
  IN.call = o.call;
  IN.spot = s;
  IN.strike = k;
  IN.years = t;
  IN.rate = o.rate;
  IN.dividend = o.dividend;
  const sdq = s * Math.exp(-o.dividend * t);
  const kdr = k * Math.exp(-o.rate * t);
  const intrinsic = o.call ? sdq - kdr : kdr - sdq;
  if (price < intrinsic || price >= (o.call ? sdq : kdr)) return null;
  const pa = priceAt(a);
  if (price < pa - ptol) return null;
  if (price <= pa + ptol) return a;
  const pb = priceAt(b);
  if (price > pb + ptol) return null;
  if (price >= pb - ptol) return b;

  // starting point
  const lnfk = Math.abs(Math.log(sdq / kdr));
  let x = Math.sqrt((2 * lnfk) / t) + Math.sqrt((2 * Math.PI) / t) * (price / sdq);
  if (!(x > a && x < b)) x = 0.5 * (a + b);
  let lastErr = Infinity;
  for (let it = 0; it < maxIt; it++) {
    const p = priceAt(x);
    const err = p - price;
    if (Math.abs(err) <= ptol) return x;
    if (err < 0) a = x;
    else b = x;
    if (b - a <= vtol) return 0.5 * (a + b);
    const vega = G[3];
    let next = vega > 1e-12 ? x - err / vega : NaN;
    if (!(next > a && next < b) || Math.abs(err) > 0.5 * lastErr) next = 0.5 * (a + b);
    lastErr = Math.abs(err);
    x = next;
  }
  return x;
}
