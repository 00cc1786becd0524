/**
 * The trading rules shared by the env, the backtester and the paper broker. Defaults are
 * the specification's values (`000_0983d3a6a3faf5b2.txt`, `FuturesTradingEnv.__init__`).
 *
 * @module
 */

/** Accounting and sizing rules. All rates are fractions (0.0004 = 0.04 %). */
export interface TradingConfig {
  /** Starting balance in quote currency (USDT). Spec: 2000. */
  initialBalance: number;
  /** Maximum leverage: notional ≤ equity × leverage × maxNotionalFraction. Spec: 5. */
  leverage: number;
  /** Taker fee as a fraction of fill notional. Spec: 0.0004. */
  feeRate: number;
  /** Slippage as a fraction of price, always against the trader. Spec: 0.0002. */
  slippage: number;
  /** Fraction of equity risked per trade when the stop is hit. Spec: 0.02. */
  riskPerTrade: number;
  /** Stop distance in ATRs for risk sizing. Spec: 1.5. */
  stopAtr: number;
  /** Cap on notional as a fraction of equity × leverage. Spec: 0.5. */
  maxNotionalFraction: number;
  /** SCALE_IN multiplies the size by this. Spec: 1.5. */
  scaleInFactor: number;
  /** SCALE_OUT keeps this fraction of the size. Spec: 0.5. */
  scaleOutFactor: number;
  /** Maintenance margin rate (fraction of notional) for the liquidation price. Binance tier 1: 0.004. */
  maintenanceMarginRate: number;
  /** The episode ends (ruin) when equity falls to this fraction of the initial balance. Spec: 0.5. */
  ruinFraction: number;
}

/** The specification's defaults. */
export const DEFAULT_TRADING_CONFIG: Readonly<TradingConfig> = Object.freeze({
  initialBalance: 2000,
  leverage: 5,
  feeRate: 0.0004,
  slippage: 0.0002,
  riskPerTrade: 0.02,
  stopAtr: 1.5,
  maxNotionalFraction: 0.5,
  scaleInFactor: 1.5,
  scaleOutFactor: 0.5,
  maintenanceMarginRate: 0.004,
  ruinFraction: 0.5,
});
