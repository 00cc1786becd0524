/**
 * The Gymnasium-style environment interface every agent, backtest and checker uses.
 *
 * Hot-path contract: `step` allocates nothing. The returned result object and its
 * `observation` buffer are OWNED BY THE ENV and overwritten by the next `reset`/`step`;
 * copy them if you keep them.
 *
 * @module
 */
import type { Box, Discrete } from "./spaces.ts";

/** Per-step information. Keys are env-specific; trading envs report reward components. */
export type Info = Record<string, unknown>;

/** Options for {@link Env.reset}. */
export interface ResetOptions {
  /** Reseed the env's PRNG (episode start sampling etc.). */
  seed?: number;
  /** Env-specific options, e.g. `{ start: 1234 }` for a fixed start bar. */
  options?: Record<string, unknown>;
}

/** Result of {@link Env.reset}. */
export interface ResetResult {
  observation: Float64Array;
  info: Info;
}

/** Result of {@link Env.step}. */
export interface StepResult {
  observation: Float64Array;
  /** Reward for the transition. */
  reward: number;
  /** A real end of the episode (ruin, liquidation): no bootstrapping. */
  terminated: boolean;
  /** The data window ended: agents bootstrap from the value of `observation`. */
  truncated: boolean;
  info: Info;
}

/**
 * A single environment. `A` is `number` for `Discrete` action spaces and `Float64Array` for
 * `Box` action spaces.
 */
export interface Env<A = number | Float64Array> {
  readonly observationSpace: Box;
  readonly actionSpace: Discrete | Box;
  reset(opts?: ResetOptions): ResetResult;
  step(action: A): StepResult;
  /**
   * Write 1 for each currently valid action and 0 otherwise into `out` (length n); optional,
   * only for `Discrete` action spaces.
   */
  actionMask?(out: Uint8Array): void;
  /** Snapshot the complete env state (position, account, bar, PRNG) — needed by GRPO. */
  cloneState?(): unknown;
  /** Restore a snapshot from {@link cloneState}. */
  restoreState?(state: unknown): void;
  /** Human-readable one-line description of the current state. */
  render?(): string;
}

/** Result buffers of a {@link VecEnv}; all owned by the VecEnv and overwritten each step. */
export interface VecEnv {
  readonly numEnvs: number;
  readonly obsDim: number;
  readonly observationSpace: Box;
  readonly actionSpace: Discrete | Box;
  /** Current observations, `numEnvs × obsDim`, row-major. After auto-reset: the new episode's first observation. */
  readonly observations: Float64Array;
  readonly rewards: Float64Array;
  /** 1 where the sub-env's episode terminated in the last step. */
  readonly terminated: Uint8Array;
  /** 1 where the sub-env's episode was truncated in the last step. */
  readonly truncated: Uint8Array;
  /** For sub-envs that ended in the last step: the final observation before auto-reset. */
  readonly finalObservations: Float64Array;
  /** For sub-envs that ended in the last step: the final info before auto-reset (else undefined). */
  readonly finalInfos: (Info | undefined)[];
  /** Reset all sub-envs; sub-env i gets seed `seed + i` when a seed is given. */
  reset(opts?: ResetOptions): Float64Array;
  /**
   * Step all sub-envs. `actions` holds `numEnvs` integers (Discrete) or `numEnvs × actDim`
   * floats (Box). Ended sub-envs are reset in the same step.
   */
  step(actions: ArrayLike<number>): void;
  /** Action masks, `numEnvs × n`, when the sub-envs support them. */
  actionMasks?(out: Uint8Array): void;
  /** The sub-envs. */
  readonly envs: readonly Env[];
}
