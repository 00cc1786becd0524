/**
 * Reward terms of the options env (specification 002, STEP 1: correct direction, whipsaw
 * penalty, early-exit bonus, time-decay penalty) plus the equity-change term every trading
 * env has. Each term has a weight and an on/off switch and is reported per step in `info`.
 * Exact definitions are in {@link OptionsRewardConfig}; the spec gives no numbers, so the
 * default weights are this toolkit's choices (stated per term).
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import type { RewardTerm } from "./reward.ts";

/** Every reward term of the options env. Signs are applied by the env. */
export interface OptionsRewardConfig {
  /**
   * `+weight × (equity_{t+1} − equity_t) / initialBalance` — the mark-to-market change of the
   * account over the step (premium at the mid, fees, spread paid at fills). Weight 100 (so it
   * is in percent of the initial balance).
   */
  pnl: RewardTerm;
  /**
   * Correct direction: while an option is held over the bar (after the step's fills, before
   * any forced exit at the next bar), `+weight × side × ln(S_{t+1}/S_t) × 100` with side +1
   * for a call and −1 for a put and S the underlying close: positive when the underlying
   * moved the position's way, negative otherwise (percent of the underlying). Weight 1.
   */
  direction: RewardTerm;
  /**
   * Whipsaw: `−weight` when the step's ACTION closes a position (to flat, or a flip to the
   * other side) that was opened fewer than `withinBars` bars earlier (default 6 bars = 30
   * minutes at 5-minute bars). Forced exits (the 15:50 flatten, expiry, episode end) are not
   * whipsaws. Weight 0.1.
   */
  whipsaw: RewardTerm & { withinBars: number };
  /**
   * Early exit: `+weight` when the step's ACTION closes a position (to flat or a flip) whose
   * net trade PnL (premium change at the bid, minus both fees) is positive — taking a profit
   * before the forced exit (15:50 flatten or expiry) would have taken it. Weight 0.05.
   */
  earlyExit: RewardTerm;
  /**
   * Time decay: while an option is held over the bar, `−weight × max(−θ, 0) × Δt × contracts ×
   * 100 / initialBalance`, with θ the option's BSM theta per year at the step's start and Δt
   * the bar's calendar time in years (close to close, so an overnight hold pays the night):
   * the premium the clock eats, as a fraction of the initial balance. It is already inside
   * `pnl`; this term penalises it again to discourage holding decaying premium without
   * conviction. Weight 50 (half the pnl scale).
   */
  timeDecay: RewardTerm;
}

/** The default weights (see each term). */
export const DEFAULT_OPTIONS_REWARD_CONFIG: Readonly<OptionsRewardConfig> = Object.freeze({
  pnl: { enabled: true, weight: 100 },
  direction: { enabled: true, weight: 1 },
  whipsaw: { enabled: true, weight: 0.1, withinBars: 6 },
  earlyExit: { enabled: true, weight: 0.05 },
  timeDecay: { enabled: true, weight: 50 },
});

/** Per-term partial overrides, e.g. `{ timeDecay: { enabled: false } }`. */
export type OptionsRewardOverrides = {
  [K in keyof OptionsRewardConfig]?: Partial<OptionsRewardConfig[K]>;
};

/** Names of the options reward terms, in reporting order. */
export const OPTIONS_REWARD_TERMS = [
  "pnl",
  "direction",
  "whipsaw",
  "earlyExit",
  "timeDecay",
] as const;

/** Merge overrides into the defaults and validate; throws {@link ConfigError} naming the term. */
export function resolveOptionsRewardConfig(
  overrides: OptionsRewardOverrides = {},
): OptionsRewardConfig {
  for (const k of Object.keys(overrides)) {
    if (!(OPTIONS_REWARD_TERMS as readonly string[]).includes(k)) {
      throw new ConfigError(`unknown options reward term "${k}"`, {
        parameter: `reward.${k}`,
      }, `known terms: ${OPTIONS_REWARD_TERMS.join(", ")}`);
    }
  }
  const out = {} as Record<string, Record<string, unknown>>;
  for (const k of OPTIONS_REWARD_TERMS) {
    const o = (overrides as Record<string, object | undefined>)[k];
    out[k] = { ...DEFAULT_OPTIONS_REWARD_CONFIG[k], ...(o ?? {}) };
    for (const [f, v] of Object.entries(out[k])) {
      const bad = f === "enabled" ? typeof v !== "boolean" : !Number.isFinite(v as number) ||
        (f === "withinBars" && !((v as number) >= 0));
      if (bad) {
        throw new ConfigError(`reward.${k}.${f} is invalid: ${v}`, {
          parameter: `reward.${k}.${f}`,
        }, f === "enabled" ? "use true or false" : "use a finite number (withinBars ≥ 0)");
      }
    }
  }
  return out as unknown as OptionsRewardConfig;
}
