/**
 * Bid/ask spread and fee model for SPY options, and the contract multiplier.
 *
 * ## Spread
 * Quoted spread per share `= max(tick, a + b·timeValue + c·intrinsic)`, with `timeValue` and
 * `intrinsic` per share at the mid (intrinsic `max(±(S − K), 0)`, time value = mid −
 * intrinsic, floored at 0). In-the-money options are quoted far wider than out-of-the-money
 * ones of the same premium (market makers hedge the delta), which a premium-only model cannot
 * express. The constants {@link SPY_SPREAD_MODEL} were fitted by least absolute deviations
 * (robust to the stale deep-ITM quotes) on the quotes of the two SPY chains in
 * `../shared/data` with 2–60 days to expiry and |ln K/S| ≤ 10 %
 * (`tools/fit_options_models.ts`). The env buys at `mid + spread/2` and sells at
 * `mid − spread/2`.
 *
 * ## Fees
 * `feePerContract` (USD per contract per fill, default 0.65: a typical retail options
 * commission; commission-free brokers such as Alpaca still pass on regulatory fees of a few
 * cents, so set it to ~0.03 there).
 *
 * @module
 */

/** US equity options: one contract = 100 shares. */
export const CONTRACT_MULTIPLIER = 100;

/** Default fee per contract per fill, USD. */
export const DEFAULT_FEE_PER_CONTRACT = 0.65;

/** Parameters of the spread model (per share). */
export interface SpreadModelParams {
  /** Intercept, USD per share. */
  base: number;
  /** Spread per USD of time value. */
  perTimeValue: number;
  /** Spread per USD of intrinsic value. */
  perIntrinsic: number;
  /** Minimum spread (the quote tick), USD per share. */
  tick: number;
}

/**
 * Fitted by `deno run -A tools/fit_options_models.ts` on the two SPY chains of
 * `../shared/data`: 3,914 quotes; |model − quoted spread| median 0.011 USD/share (relative
 * 28 %), 90th percentile 0.69 (stale deep in-the-money quotes, which the env never trades).
 */
export const SPY_SPREAD_MODEL: Readonly<SpreadModelParams> = Object.freeze({
  base: 0.01,
  perTimeValue: 0.0026,
  perIntrinsic: 0.0179,
  tick: 0.01,
});

/**
 * Modelled bid/ask spread per share (USD) of an option whose mid is `mid` and whose intrinsic
 * value is `intrinsic` (both per share).
 */
export function modelSpread(
  mid: number,
  intrinsic: number,
  params: SpreadModelParams = SPY_SPREAD_MODEL,
): number {
  const iv = intrinsic > 0 ? intrinsic : 0;
  const tv = mid - iv > 0 ? mid - iv : 0;
  const s = params.base + params.perTimeValue * tv + params.perIntrinsic * iv;
  return s > params.tick ? s : params.tick;
}
