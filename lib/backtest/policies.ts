/**
 * Reference policies for backtests: the specification's fixed-rule baseline, buy-and-hold,
 * always-flat, seeded random, and a replay of a recorded action sequence. All implement the
 * project's {@link Policy} interface, so they run through exactly the same env and accounting
 * as the RL agents.
 *
 * @module
 */
import {
  Action,
  type ActOptions,
  type ActResult,
  OBS_DIM,
  OBS_INDEX,
  type Policy,
  TIME_IN_POSITION_SCALE,
} from "../env/mod.ts";
import { ConfigError, Rng } from "../util/mod.ts";

/**
 * Where the baseline finds its inputs in the env's 20-float observation (the
 * specification's layout: position 3, ML 3, market 8, account 6).
 */
export interface ObservationLayout {
  /** Observation length. Spec: 20. */
  obsDim: number;
  /** Position direction −1/0/1. Spec index 0. */
  position: number;
  /** Unrealised PnL of the open position / equity (fraction). Spec index 1. */
  positionPnl: number;
  /** Time in position / 100, capped at 1. Spec index 2. */
  timeInPosition: number;
  /** Scale of {@link timeInPosition}: bars = value × this. Spec 100. */
  timeScale: number;
  /** ML signal −1 (down) / 0 (flat) / 1 (up). Spec index 3. */
  signal: number;
  /** ML confidence in [0, 1]. Spec index 4. */
  confidence: number;
  /** OI–price divergence over 20 bars. Spec index 9. */
  divergence: number;
}

/** The specification's observation layout (indices from lib/env's `OBS_INDEX`). */
export const SPEC_OBSERVATION_LAYOUT: Readonly<ObservationLayout> = Object.freeze({
  obsDim: OBS_DIM,
  position: OBS_INDEX.position,
  positionPnl: OBS_INDEX.unrealised_pnl_over_equity,
  timeInPosition: OBS_INDEX.time_in_position,
  timeScale: TIME_IN_POSITION_SCALE,
  signal: OBS_INDEX.ml_signal,
  confidence: OBS_INDEX.ml_confidence,
  divergence: OBS_INDEX.oi_price_divergence_20,
});

/** Rules and thresholds of {@link FixedRuleBaseline}; defaults are the specification's. */
export interface BaselineRules {
  /** Enter only when confidence is strictly above this. Spec 0.6. */
  minConfidence: number;
  /** LONG needs divergence strictly above this; SHORT strictly below its negative. Spec 0. */
  divergenceThreshold: number;
  /**
   * Exit once the position has been held MORE than this many bars (≤ 100: the observation's
   * time in position is capped there). Spec: "held > 20 periods" → 20.
   */
  maxHoldingBars: number;
  /** Take profit when the open position's unrealised PnL / equity > this (fraction). Spec +1 % → 0.01. */
  takeProfit: number;
  /** Stop loss when the open position's unrealised PnL / equity < −this (fraction). Spec −0.5 % → 0.005. */
  stopLoss: number;
  /** Allow LONG entries. Default true. */
  allowLong: boolean;
  /** Allow SHORT entries. Default true. */
  allowShort: boolean;
}

/** The specification's baseline rules. */
export const DEFAULT_BASELINE_RULES: Readonly<BaselineRules> = Object.freeze({
  minConfidence: 0.6,
  divergenceThreshold: 0,
  maxHoldingBars: 20,
  takeProfit: 0.01,
  stopLoss: 0.005,
  allowLong: true,
  allowShort: true,
});

/** Why the baseline chose its action. */
export const BaselineReason = {
  NONE: 0,
  ENTRY_LONG: 1,
  ENTRY_SHORT: 2,
  TAKE_PROFIT: 3,
  STOP_LOSS: 4,
  TIME: 5,
} as const;

/** Names of {@link BaselineReason} codes. */
export const BASELINE_REASON_NAMES: readonly string[] = Object.freeze([
  "none",
  "entry_long",
  "entry_short",
  "take_profit",
  "stop_loss",
  "time",
]);

function result(batch: number): ActResult {
  return {
    actions: new Float64Array(batch),
    logProb: new Float64Array(batch),
    value: new Float64Array(batch).fill(NaN),
  };
}

function checkBatch(obs: Float64Array, obsDim: number, name: string): number {
  if (obs.length % obsDim !== 0 || obs.length === 0) {
    throw new ConfigError(
      `${name}: observation length ${obs.length} is not a multiple of obsDim ${obsDim}`,
      { parameter: "observations" },
      "pass batch × obsDim values, row-major",
    );
  }
  return obs.length / obsDim;
}

/**
 * The specification's fixed-rule baseline, stateless and read from the observation:
 * - flat: ENTER_LONG when signal = up and confidence > 0.6 and OI divergence > 0;
 *   ENTER_SHORT when signal = down and confidence > 0.6 and divergence < 0; else HOLD;
 * - in a position: EXIT when held > 20 bars, or unrealised PnL > +1 % or < −0.5 % (of
 *   equity: the observation's position-PnL feature, the specification's `position_pnl_pct`);
 *   strict inequalities as the specification's "held > 20 periods OR PnL > 1% OR PnL < -0.5%"
 *   (so a position at exactly 20 bars or exactly +1 % is held); checked in the order take
 *   profit, stop loss, time; else HOLD.
 * Deterministic; `logProb` is 0 (the chosen action has probability 1), `value` NaN.
 * {@link lastReasons} holds the {@link BaselineReason} of each row of the last call.
 */
export class FixedRuleBaseline implements Policy {
  /** Report name. */
  readonly name: string;
  /** The rules in force. */
  readonly rules: Readonly<BaselineRules>;
  /** The observation layout read. */
  readonly layout: Readonly<ObservationLayout>;
  /** Reason codes of the last {@link act} call, one per batch row. */
  lastReasons: Uint8Array = new Uint8Array(1);

  constructor(
    options: {
      rules?: Partial<BaselineRules>;
      layout?: Partial<ObservationLayout>;
      name?: string;
    } = {},
  ) {
    this.rules = Object.freeze({ ...DEFAULT_BASELINE_RULES, ...options.rules });
    this.layout = Object.freeze({ ...SPEC_OBSERVATION_LAYOUT, ...options.layout });
    this.name = options.name ?? "baseline";
    const r = this.rules;
    if (r.maxHoldingBars >= this.layout.timeScale) {
      throw new ConfigError(
        `baseline rule maxHoldingBars ${r.maxHoldingBars} must be below the observation cap`,
        { parameter: "rules.maxHoldingBars" },
        `the env's time-in-position feature is capped at ${this.layout.timeScale} bars`,
      );
    }
    for (const k of ["minConfidence", "takeProfit", "stopLoss", "maxHoldingBars"] as const) {
      if (!Number.isFinite(r[k]) || r[k] < 0) {
        throw new ConfigError(`baseline rule ${k} must be a finite number ≥ 0, got ${r[k]}`, {
          parameter: `rules.${k}`,
        });
      }
    }
  }

  /** Decide for a batch of observations. */
  act(observations: Float64Array, _options?: ActOptions): ActResult {
    const L = this.layout;
    const r = this.rules;
    const batch = checkBatch(observations, L.obsDim, "FixedRuleBaseline");
    const out = result(batch);
    out.value.fill(NaN);
    if (this.lastReasons.length !== batch) this.lastReasons = new Uint8Array(batch);
    for (let b = 0; b < batch; b++) {
      const o = b * L.obsDim;
      const pos = observations[o + L.position];
      let action: number = Action.HOLD;
      let reason: number = BaselineReason.NONE;
      if (pos !== 0) {
        const pnl = observations[o + L.positionPnl];
        const held = Math.round(observations[o + L.timeInPosition] * L.timeScale);
        if (pnl > r.takeProfit) {
          action = Action.EXIT;
          reason = BaselineReason.TAKE_PROFIT;
        } else if (pnl < -r.stopLoss) {
          action = Action.EXIT;
          reason = BaselineReason.STOP_LOSS;
        } else if (held > r.maxHoldingBars) {
          action = Action.EXIT;
          reason = BaselineReason.TIME;
        }
      } else {
        const sig = Math.round(observations[o + L.signal]);
        const conf = observations[o + L.confidence];
        const div = observations[o + L.divergence];
        if (conf > r.minConfidence) {
          if (r.allowLong && sig === 1 && div > r.divergenceThreshold) {
            action = Action.ENTER_LONG;
            reason = BaselineReason.ENTRY_LONG;
          } else if (r.allowShort && sig === -1 && div < -r.divergenceThreshold) {
            action = Action.ENTER_SHORT;
            reason = BaselineReason.ENTRY_SHORT;
          }
        }
      }
      out.actions[b] = action;
      this.lastReasons[b] = reason;
    }
    return out;
  }
}

/**
 * Buy-and-hold through the env: ENTER_LONG whenever flat (i.e. on the first bar, and again
 * after a liquidation), HOLD otherwise. The position is sized by the env's risk rule, so its
 * notional is what the env allows (up to equity × leverage × maxNotionalFraction), not 1×.
 */
export class BuyAndHoldPolicy implements Policy {
  /** Report name. */
  readonly name: string;
  readonly #obsDim: number;
  readonly #posIndex: number;
  constructor(options: { name?: string; layout?: Partial<ObservationLayout> } = {}) {
    const L = { ...SPEC_OBSERVATION_LAYOUT, ...options.layout };
    this.name = options.name ?? "buy_and_hold";
    this.#obsDim = L.obsDim;
    this.#posIndex = L.position;
  }
  /** ENTER_LONG when flat, else HOLD. */
  act(observations: Float64Array, _options?: ActOptions): ActResult {
    const batch = checkBatch(observations, this.#obsDim, "BuyAndHoldPolicy");
    const out = result(batch);
    for (let b = 0; b < batch; b++) {
      out.actions[b] = observations[b * this.#obsDim + this.#posIndex] === 0
        ? Action.ENTER_LONG
        : Action.HOLD;
    }
    return out;
  }
}

/** Always HOLD while flat (and EXIT if ever in a position): zero trades, zero costs. */
export class AlwaysFlatPolicy implements Policy {
  /** Report name. */
  readonly name: string;
  readonly #obsDim: number;
  readonly #posIndex: number;
  constructor(options: { name?: string; layout?: Partial<ObservationLayout> } = {}) {
    const L = { ...SPEC_OBSERVATION_LAYOUT, ...options.layout };
    this.name = options.name ?? "flat";
    this.#obsDim = L.obsDim;
    this.#posIndex = L.position;
  }
  /** HOLD (EXIT when a position exists). */
  act(observations: Float64Array, _options?: ActOptions): ActResult {
    const batch = checkBatch(observations, this.#obsDim, "AlwaysFlatPolicy");
    const out = result(batch);
    for (let b = 0; b < batch; b++) {
      out.actions[b] = observations[b * this.#obsDim + this.#posIndex] === 0
        ? Action.HOLD
        : Action.EXIT;
    }
    return out;
  }
}

/**
 * Uniformly random actions from a seeded {@link Rng}; `reset()` restarts the stream, so two
 * backtests of the same policy are identical. `logProb` = −log n.
 */
export class RandomPolicy implements Policy {
  /** Report name. */
  readonly name: string;
  readonly #seed: number;
  readonly #n: number;
  readonly #obsDim: number;
  #rng: Rng;
  constructor(options: { seed?: number; nActions?: number; obsDim?: number; name?: string } = {}) {
    this.#seed = options.seed ?? 0;
    this.#n = options.nActions ?? 6;
    this.#obsDim = options.obsDim ?? SPEC_OBSERVATION_LAYOUT.obsDim;
    this.name = options.name ?? `random_s${this.#seed}`;
    this.#rng = new Rng(this.#seed);
  }
  /** Restart the random stream from the seed. */
  reset(): void {
    this.#rng = new Rng(this.#seed);
  }
  /** A uniform action per row (respecting `masks` when given). */
  act(observations: Float64Array, options: ActOptions = {}): ActResult {
    const batch = checkBatch(observations, this.#obsDim, "RandomPolicy");
    const out = result(batch);
    const n = this.#n;
    for (let b = 0; b < batch; b++) {
      if (options.masks) {
        const a = this.#rng.categorical(options.masks, n, b * n);
        let k = 0;
        for (let i = 0; i < n; i++) k += options.masks[b * n + i] ? 1 : 0;
        out.actions[b] = a;
        out.logProb[b] = -Math.log(Math.max(1, k));
      } else {
        out.actions[b] = this.#rng.int(n);
        out.logProb[b] = -Math.log(n);
      }
    }
    return out;
  }
}

/**
 * Replays a recorded action sequence (single env): call `t` returns `actions[t]` (HOLD past
 * the end). Used to show that identical actions get identical fills, fees and funding
 * whatever policy produced them.
 */
export class ReplayPolicy implements Policy {
  /** Report name. */
  readonly name: string;
  readonly #actions: ArrayLike<number>;
  #t = 0;
  constructor(actions: ArrayLike<number>, options: { name?: string } = {}) {
    this.#actions = actions;
    this.name = options.name ?? "replay";
  }
  /** Rewind to the first action. */
  reset(): void {
    this.#t = 0;
  }
  /** The next recorded action. */
  act(_observations: Float64Array, _options?: ActOptions): ActResult {
    const out = result(1);
    out.actions[0] = this.#t < this.#actions.length ? this.#actions[this.#t] : Action.HOLD;
    this.#t++;
    return out;
  }
}
