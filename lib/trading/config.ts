/**
 * The trading rules shared by the env and the backtester. Defaults are
 * the specification's values (`000_0983d3a6a3faf5b2.txt`, `FuturesTradingEnv.__init__`).
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";

/**
 * How the margin backing a position is accounted:
 * - `isolated`: the position's own margin (entry notional / leverage, topped up on scale-in,
 *   released pro rata on scale-out, debited by funding) is all it can lose; the liquidation
 *   price follows from that margin.
 * - `cross`: the whole wallet balance backs the position; liquidation wipes the account.
 */
export type MarginMode = "isolated" | "cross";

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
  /**
   * Margin mode for the liquidation price (not in the spec, whose formula `margin = notional /
   * leverage` is isolated margin). Default `"isolated"`.
   */
  marginMode: MarginMode;
  /**
   * Cap on the notional a SCALE_IN may reach, as a fraction of equity × leverage (spec bug 8:
   * the spec's SCALE_IN had no limit). 1 = margin may use the whole equity. Default 1.
   */
  scaleInMaxNotionalFraction: number;
  /**
   * Clearance fee charged on liquidation, as a fraction of the notional at the liquidation
   * price (Binance keeps the remaining maintenance margin). With the default, equal to
   * `maintenanceMarginRate`, an isolated liquidation loses the position's whole margin.
   * Default 0.004.
   */
  liquidationFeeRate: number;
  /**
   * Minimum notional of an opening order (entry or scale-in), in quote currency (USDT),
   * measured at the order's fill price; also the smallest position a scale-out may leave
   * (measured at the mark): a scale-out whose remainder would fall below it closes the whole
   * position (exit reason `scale_out_close`). Reference: Binance USDT-M BTCUSDT's
   * `MIN_NOTIONAL` filter, 100 USDT (reduce-only orders are exempt there, as scale-outs are
   * here). At the spec defaults (2,000 USDT, 2 % risk, 1.5 × ATR stop) a risk entry's notional
   * is `0.02 × equity / (1.5 × natr)`, ≥ 100 USDT down to 50 % equity for natr ≤ 13 %. 0
   * disables the check. Default 100.
   */
  minNotional: number;
  /**
   * Minimum quantity of an opening order and of the position a scale-out may leave, in
   * contracts (base units), checked like {@link TradingConfig.minNotional}. Binance BTCUSDT's
   * `LOT_SIZE` minQty is 0.001 BTC; the default 0 disables it because the toolkit trades any
   * instrument. Quantities are not rounded to a lot step. Default 0.
   */
  minQty: number;
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
  marginMode: "isolated" as MarginMode,
  scaleInMaxNotionalFraction: 1,
  liquidationFeeRate: 0.004,
  minNotional: 100,
  minQty: 0,
});

/**
 * Merge `overrides` into the defaults and validate every field; throws {@link ConfigError}
 * naming the bad parameter.
 */
export function resolveTradingConfig(overrides: Partial<TradingConfig> = {}): TradingConfig {
  const c: TradingConfig = { ...DEFAULT_TRADING_CONFIG, ...overrides };
  const positive = ["initialBalance", "leverage", "stopAtr", "scaleInFactor"] as const;
  for (const k of positive) {
    if (!(Number.isFinite(c[k]) && c[k] > 0)) {
      throw new ConfigError(`${k} must be a positive finite number, got ${c[k]}`, {
        parameter: `trading.${k}`,
      });
    }
  }
  const fractions = [
    "feeRate",
    "slippage",
    "riskPerTrade",
    "maintenanceMarginRate",
    "ruinFraction",
    "liquidationFeeRate",
  ] as const;
  for (const k of fractions) {
    if (!(Number.isFinite(c[k]) && c[k] >= 0 && c[k] < 1)) {
      throw new ConfigError(`${k} must be a fraction in [0, 1), got ${c[k]}`, {
        parameter: `trading.${k}`,
      }, "rates are fractions: 0.0004 means 0.04 %");
    }
  }
  const openFractions = ["maxNotionalFraction", "scaleInMaxNotionalFraction"] as const;
  for (const k of openFractions) {
    if (!(Number.isFinite(c[k]) && c[k] > 0 && c[k] <= 1)) {
      throw new ConfigError(`${k} must be in (0, 1], got ${c[k]}`, { parameter: `trading.${k}` });
    }
  }
  const nonNegative = ["minNotional", "minQty"] as const;
  for (const k of nonNegative) {
    if (!(Number.isFinite(c[k]) && c[k] >= 0)) {
      throw new ConfigError(
        `${k} must be a finite number ≥ 0, got ${c[k]}`,
        {
          parameter: `trading.${k}`,
        },
        k === "minNotional"
          ? "quote currency, e.g. 100 (USDT); 0 disables it"
          : "contracts; 0 disables it",
      );
    }
  }
  if (!(c.scaleInFactor > 1)) {
    throw new ConfigError(`scaleInFactor must be > 1, got ${c.scaleInFactor}`, {
      parameter: "trading.scaleInFactor",
    });
  }
  if (!(Number.isFinite(c.scaleOutFactor) && c.scaleOutFactor > 0 && c.scaleOutFactor < 1)) {
    throw new ConfigError(`scaleOutFactor must be in (0, 1), got ${c.scaleOutFactor}`, {
      parameter: "trading.scaleOutFactor",
    });
  }
  if (c.marginMode !== "isolated" && c.marginMode !== "cross") {
    throw new ConfigError(`marginMode must be "isolated" or "cross", got ${c.marginMode}`, {
      parameter: "trading.marginMode",
    });
  }
  if (c.maintenanceMarginRate >= 1 / c.leverage) {
    throw new ConfigError(
      `maintenanceMarginRate ${c.maintenanceMarginRate} must be below the initial margin rate 1/leverage = ${
        1 / c.leverage
      }`,
      { parameter: "trading.maintenanceMarginRate" },
      "otherwise every position is liquidated at entry",
    );
  }
  return c;
}
