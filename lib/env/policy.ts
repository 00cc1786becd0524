/**
 * The Policy interface used the same way by training, evaluation, backtest and live trading.
 *
 * @module
 */

/** Options for {@link Policy.act}. */
export interface ActOptions {
  /** Take the mode (argmax / mean) instead of sampling. */
  deterministic?: boolean;
  /** Discrete only: `batch × n` validity masks (1 = allowed). */
  masks?: Uint8Array;
}

/** Output of {@link Policy.act} for a batch of `batch` observations. */
export interface ActResult {
  /** `batch` action indices (Discrete) or `batch × actDim` values (Box). */
  actions: Float64Array;
  /** Log-probability of each chosen action under the policy. */
  logProb: Float64Array;
  /** State-value estimates (NaN for critic-free policies such as rules or GRPO). */
  value: Float64Array;
}

/** Anything that maps observations to actions. */
export interface Policy {
  /** A short name for reports, e.g. `"ppo"`, `"baseline"`. */
  readonly name: string;
  /**
   * Act on `batch` observations given row-major in `observations` (`batch × obsDim`).
   */
  act(observations: Float64Array, options?: ActOptions): ActResult;
  /** Clear any per-episode state (e.g. logit smoothing). */
  reset?(): void;
}

// ---------------------------------------------------------------- actions

/** The futures env's discrete action codes (the specification's order). */
export const Action = {
  HOLD: 0,
  ENTER_LONG: 1,
  ENTER_SHORT: 2,
  EXIT: 3,
  SCALE_IN: 4,
  SCALE_OUT: 5,
} as const;

/** Action names by code. */
export const ACTION_NAMES = [
  "HOLD",
  "ENTER_LONG",
  "ENTER_SHORT",
  "EXIT",
  "SCALE_IN",
  "SCALE_OUT",
] as const;

/** Short chart labels of the actions, by code. */
export const ACTION_LABELS: readonly string[] = Object.freeze([
  "HOLD",
  "LONG",
  "SHORT",
  "EXIT",
  "SCALE_IN",
  "SCALE_OUT",
]);

// ---------------------------------------------------------------- observation

/** One entry of the futures env's observation vector. */
export interface ObservationField {
  /** Name (also the key of {@link OBS_INDEX}). */
  readonly name: string;
  /** Block of the specification's layout: position 3, ML 3, market 8, account 6. */
  readonly block: "position" | "ml" | "market" | "account";
  /** Meaning and unit (fraction vs percent, per bar vs annualised). */
  readonly unit: string;
}

/**
 * The ONE observation layout of the futures env: 20 entries in this order, each clipped to
 * ±{@link OBS_CLIP}. The env writes them, rule policies read them by {@link OBS_INDEX}, and
 * notebooks label them from here.
 */
export const OBSERVATION_FIELDS: readonly ObservationField[] = Object.freeze(
  [
    { name: "position", block: "position", unit: "−1 short / 0 flat / 1 long" },
    {
      name: "unrealised_pnl_over_equity",
      block: "position",
      unit: "unrealised PnL ÷ equity (fraction)",
    },
    { name: "time_in_position", block: "position", unit: "bars in position ÷ 100, capped at 1" },
    { name: "ml_signal", block: "ml", unit: "ML signal −1/0/1 (0 when unavailable)" },
    { name: "ml_confidence", block: "ml", unit: "ML confidence 0–1 (0 when unavailable)" },
    { name: "ml_target", block: "ml", unit: "ML expected return, fraction (0 when unavailable)" },
    { name: "return_20", block: "market", unit: "close/close₋₂₀ − 1 (fraction)" },
    { name: "natr", block: "market", unit: "ATR(14) ÷ close (fraction, not percent)" },
    { name: "rsi", block: "market", unit: "RSI(14) ÷ 100" },
    {
      name: "oi_price_divergence_20",
      block: "market",
      unit: "OI change − price change over 20 bars (fraction)",
    },
    { name: "oi_change_20", block: "market", unit: "OI change over 20 bars (fraction)" },
    {
      name: "funding_rate_x100",
      block: "market",
      unit: "last settled funding rate × 100 (percent per settlement)",
    },
    { name: "volume_ratio", block: "market", unit: "volume ÷ 20-bar mean volume" },
    { name: "bb_position", block: "market", unit: "Bollinger %B (0 = lower band, 1 = upper)" },
    { name: "equity_over_initial", block: "account", unit: "equity ÷ initial balance" },
    {
      name: "drawdown",
      block: "account",
      unit: "drawdown from the episode's peak equity (fraction)",
    },
    { name: "balance_over_initial", block: "account", unit: "wallet balance ÷ initial balance" },
    {
      name: "recent_sharpe",
      block: "account",
      unit: "annualised Sharpe of the last 20 per-bar equity returns",
    },
    {
      name: "distance_to_liquidation",
      block: "account",
      unit: "distance from price to liquidation price (fraction of price; 1 when flat)",
    },
    { name: "win_rate", block: "account", unit: "winning ÷ closed trades (0 when none)" },
  ] as const satisfies readonly ObservationField[],
);

/** Names of the 20 observation entries, in order. */
export const OBSERVATION_NAMES: readonly string[] = Object.freeze(
  OBSERVATION_FIELDS.map((f) => f.name),
);

/** Index of each observation entry by name (e.g. `OBS_INDEX.ml_confidence` = 4). */
export const OBS_INDEX: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(OBSERVATION_FIELDS.map((f, i) => [f.name, i])),
);

/** Observation size. */
export const OBS_DIM = 20;
/** Observation clip bound (the specification clips to ±10). */
export const OBS_CLIP = 10;
/** `time_in_position` = bars in position ÷ this, capped at 1. */
export const TIME_IN_POSITION_SCALE = 100;
