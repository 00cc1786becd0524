/**
 * Reward components of the futures env, each with a weight and an on/off switch. Defaults
 * are the specification's `_calculate_reward`.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";

/** One reward term: its weight and whether it is used. */
export interface RewardTerm {
  /** false → the term is always 0 (still reported as 0 in `info`). */
  enabled: boolean;
  /** Weight (units given per term in {@link RewardConfig}). */
  weight: number;
}

/** Every reward term of {@link FuturesTradingEnv}. Signs are applied by the env. */
export interface RewardConfig {
  /** `+weight × (equity_t+1 − equity_t) / initialBalance`; weight 100 (so it is in percent). */
  pnl: RewardTerm;
  /** `−weight × drawdown` (drawdown a fraction of the running peak equity); weight 5. */
  drawdown: RewardTerm;
  /**
   * `−weight × natr` while in a position after the step, natr = ATR/close as a FRACTION
   * (spec bug 11: one unit everywhere); weight 2.
   */
  volatility: RewardTerm;
  /** `−weight` while the position is older than `thresholdBars`; weight 0.1, 50 bars. */
  duration: RewardTerm & { thresholdBars: number };
  /** `−weight` per executed action (no-ops are free); weight 0.05. */
  action: RewardTerm;
  /**
   * `+weight` when the recent annualised Sharpe (full window only) exceeds `threshold`;
   * weight 0.2, threshold 0.5.
   */
  sharpe: RewardTerm & { threshold: number };
  /**
   * `−weight` while in a position whose distance to the liquidation price (fraction of price)
   * is below `threshold`; weight 1, threshold 0.15.
   */
  liquidation: RewardTerm & { threshold: number };
}

/** The specification's reward. */
export const DEFAULT_REWARD_CONFIG: Readonly<RewardConfig> = Object.freeze({
  pnl: { enabled: true, weight: 100 },
  drawdown: { enabled: true, weight: 5 },
  volatility: { enabled: true, weight: 2 },
  duration: { enabled: true, weight: 0.1, thresholdBars: 50 },
  action: { enabled: true, weight: 0.05 },
  sharpe: { enabled: true, weight: 0.2, threshold: 0.5 },
  liquidation: { enabled: true, weight: 1, threshold: 0.15 },
});

/** Per-term partial overrides, e.g. `{ drawdown: { enabled: false }, pnl: { weight: 50 } }`. */
export type RewardOverrides = { [K in keyof RewardConfig]?: Partial<RewardConfig[K]> };

/** Names of the reward terms, in reporting order. */
export const REWARD_TERMS = [
  "pnl",
  "drawdown",
  "volatility",
  "duration",
  "action",
  "sharpe",
  "liquidation",
] as const;

/** Merge overrides into the defaults and validate (finite weights, non-negative thresholds). */
export function resolveRewardConfig(overrides: RewardOverrides = {}): RewardConfig {
  const out = {} as Record<string, Record<string, unknown>>;
  for (const k of REWARD_TERMS) {
    const o = (overrides as Record<string, object | undefined>)[k];
    out[k] = { ...DEFAULT_REWARD_CONFIG[k], ...(o ?? {}) };
    for (const [f, v] of Object.entries(out[k])) {
      if (f === "enabled" ? typeof v !== "boolean" : !Number.isFinite(v as number)) {
        throw new ConfigError(`reward.${k}.${f} is invalid: ${v}`, {
          parameter: `reward.${k}.${f}`,
        }, f === "enabled" ? "use true or false" : "use a finite number");
      }
    }
  }
  for (const k of Object.keys(overrides)) {
    if (!(REWARD_TERMS as readonly string[]).includes(k)) {
      throw new ConfigError(
        `unknown reward term "${k}"`,
        { parameter: `reward.${k}` },
        `known terms: ${REWARD_TERMS.join(", ")}`,
      );
    }
  }
  return out as unknown as RewardConfig;
}
