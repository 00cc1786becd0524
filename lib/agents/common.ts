/**
 * Machinery shared by the on-policy algorithms (factored once, like SB3): schedules, network
 * configs derived from spaces, episode statistics, action clipping, option checks.
 *
 * @module
 */
import { ConfigError } from "../util/mod.ts";
import type { Box, Discrete, VecEnv } from "../env/mod.ts";
import type { ActorCriticEngine, NetworkConfig, UpdateStats } from "./engines/engine.ts";
import type { RolloutBuffer } from "./buffer.ts";
import type { VecNormalizer } from "./normalizer.ts";
import type { UpdateLog } from "./callbacks.ts";

/**
 * A value as a function of the remaining training progress (1 at the start, → 0 at the end),
 * SB3's `Schedule` convention.
 */
export type Schedule = (progressRemaining: number) => number;

/** Linear schedule from `start` (progress 1) to `end` (progress 0), as rl-zoo's `lin_…`. */
export function linearSchedule(start: number, end = 0): Schedule {
  return (p: number) => end + (start - end) * p;
}

/** A constant or a {@link Schedule}, evaluated at `progressRemaining`. */
export function scheduleValue(v: number | Schedule, progressRemaining: number): number {
  return typeof v === "function" ? v(progressRemaining) : v;
}

/** Options of {@link networkConfigFor}. */
export interface NetworkConfigOptions {
  /** Hidden widths of both nets (default `[64, 64]`, SB3's MlpPolicy). */
  hidden?: number[];
  /** Policy-net widths (default `hidden`). */
  piHidden?: number[];
  /** Value-net widths (default `hidden`). */
  vfHidden?: number[];
  /** Initial log-std of Gaussian heads (default 0, SB3's `log_std_init`). */
  logStdInit?: number;
}

/**
 * The network an algorithm uses on these spaces: separate tanh MLPs (64×64), a categorical
 * (Discrete) or diagonal Gaussian (Box) head; PPO/GRPO: Adam eps 1e-5; A2C: RMSprop(α 0.99,
 * eps 1e-5) as SB3; GRPO has no critic.
 */
export function networkConfigFor(
  algorithm: "ppo" | "a2c" | "grpo",
  spaces: { obsDim: number; actionSpace: Discrete | Box },
  options: NetworkConfigOptions = {},
): NetworkConfig {
  const hidden = options.hidden ?? [64, 64];
  const critic = algorithm !== "grpo";
  return {
    obsDim: spaces.obsDim,
    piHidden: options.piHidden ?? hidden,
    vfHidden: critic ? (options.vfHidden ?? hidden) : [],
    critic,
    head: spaces.actionSpace.kind === "discrete"
      ? { kind: "categorical", n: spaces.actionSpace.n }
      : { kind: "gaussian", dim: spaces.actionSpace.size, logStdInit: options.logStdInit ?? 0 },
    optimizer: algorithm === "a2c"
      ? { kind: "rmsprop", alpha: 0.99, eps: 1e-5 }
      : { kind: "adam", eps: 1e-5 },
  };
}

/**
 * Clip Box actions to the space's bounds for the env (the unclipped sample is what the buffer
 * stores, as SB3 does). Discrete actions are copied unchanged.
 */
export function clipActions(
  space: Discrete | Box,
  actions: Float64Array,
  options: { out: Float64Array },
): Float64Array {
  const out = options.out;
  if (space.kind === "discrete") {
    out.set(actions);
    return out;
  }
  const d = space.size;
  for (let i = 0; i < actions.length; i++) {
    const k = i % d;
    const v = actions[i];
    out[i] = v < space.low[k] ? space.low[k] : v > space.high[k] ? space.high[k] : v;
  }
  return out;
}

/** Running per-env episode return/length, and a window of the last 100 finished episodes. */
export class EpisodeTracker {
  readonly returns: Float64Array;
  readonly lengths: Float64Array;
  /** Raw returns of finished episodes, oldest first (all of them). */
  readonly finishedReturns: number[] = [];
  /** Lengths of finished episodes. */
  readonly finishedLengths: number[] = [];
  /** Episodes finished since the last {@link takeFinishedCount}. */
  #sinceLast = 0;

  /** @param numEnvs parallel envs. */
  constructor(numEnvs: number) {
    this.returns = new Float64Array(numEnvs);
    this.lengths = new Float64Array(numEnvs);
  }

  /** Add one step's raw rewards; `ended[i]` (terminated or truncated) closes env i's episode. */
  step(
    rewards: ArrayLike<number>,
    terminated: ArrayLike<number>,
    truncated: ArrayLike<number>,
  ): void {
    for (let i = 0; i < this.returns.length; i++) {
      this.returns[i] += rewards[i];
      this.lengths[i] += 1;
      if (terminated[i] || truncated[i]) {
        this.finishedReturns.push(this.returns[i]);
        this.finishedLengths.push(this.lengths[i]);
        this.returns[i] = 0;
        this.lengths[i] = 0;
        this.#sinceLast++;
      }
    }
  }

  /** Episodes finished since the previous call. */
  takeFinishedCount(): number {
    const n = this.#sinceLast;
    this.#sinceLast = 0;
    return n;
  }

  /** Mean return of the last `window` finished episodes, or null if none. */
  meanReturn(window = 100): number | null {
    return meanTail(this.finishedReturns, window);
  }

  /** Mean length of the last `window` finished episodes, or null if none. */
  meanLength(window = 100): number | null {
    return meanTail(this.finishedLengths, window);
  }
}

function meanTail(a: number[], window: number): number | null {
  if (a.length === 0) return null;
  const from = Math.max(0, a.length - window);
  let s = 0;
  for (let i = from; i < a.length; i++) s += a[i];
  return s / (a.length - from);
}

/** Result of a training run. */
export interface TrainResult {
  /** One record per logged update. */
  logs: UpdateLog[];
  /** Environment steps taken. */
  timesteps: number;
  /** Updates done. */
  updates: number;
  /** Raw returns of all finished training episodes, in order. */
  episodeReturns: number[];
  /** Whether a callback stopped training early. */
  stoppedEarly: boolean;
  /** Wall-clock seconds. */
  seconds: number;
  /** Seconds spent collecting rollouts (env steps + inference), for "where the time goes". */
  rolloutSeconds: number;
}

/** Throw a {@link ConfigError} unless `v` is a positive integer. */
export function requirePositiveInt(v: number, parameter: string): void {
  if (!Number.isInteger(v) || v < 1) {
    throw new ConfigError(`${parameter} must be a positive integer, got ${v}`, { parameter });
  }
}

/** Throw a {@link ConfigError} unless `lo ≤ v ≤ hi` (and finite). */
export function requireRange(v: number, lo: number, hi: number, parameter: string): void {
  if (!Number.isFinite(v) || v < lo || v > hi) {
    throw new ConfigError(`${parameter} must be in [${lo}, ${hi}], got ${v}`, { parameter });
  }
}

/** 1 where a sub-env's episode ended in the last step (for reward-scaling resets). */
export function doneFlags(env: VecEnv): Uint8Array {
  const out = doneScratch.get(env) ?? new Uint8Array(env.numEnvs);
  doneScratch.set(env, out);
  for (let i = 0; i < env.numEnvs; i++) out[i] = env.terminated[i] | env.truncated[i];
  return out;
}
const doneScratch = new WeakMap<VecEnv, Uint8Array>();

/** `x`, or null when it is not finite (JSON-friendly logs). */
export function nullIfNaN(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * Collects on-policy rollouts from a {@link VecEnv} into a {@link RolloutBuffer} (SB3's
 * `collect_rollouts`): acts with the engine (sampling with its seeded PRNG), clips Box actions
 * for the env while storing the raw sample, tracks raw episode returns, applies the optional
 * normaliser, and on truncation (not termination) bootstraps from V(final observation).
 */
export class RolloutCollector {
  readonly env: VecEnv;
  readonly engine: ActorCriticEngine;
  readonly normalizer: VecNormalizer | null;
  /** Action-mask width (0 = masks unused). */
  readonly maskSize: number;
  readonly actDim: number;
  /** Observations the policy sees next (normalised when a normaliser is set), `numEnvs × obsDim`. */
  readonly obs: Float64Array;
  readonly episodes: EpisodeTracker;
  #envActions: Float64Array;
  #rewards: Float64Array;
  #finalValues: Float64Array;
  #finalObs: Float64Array;
  #oneValue = new Float64Array(1);
  #masks: Uint8Array | undefined;
  #lastValues: Float64Array;

  /** @param env vectorised env; @param engine the policy/value model. */
  constructor(
    env: VecEnv,
    engine: ActorCriticEngine,
    options: { normalizer?: VecNormalizer | null; useMasks?: boolean } = {},
  ) {
    this.env = env;
    this.engine = engine;
    this.normalizer = options.normalizer ?? null;
    const space = env.actionSpace;
    this.actDim = space.kind === "box" ? space.size : 1;
    this.maskSize = space.kind === "discrete" &&
        (options.useMasks ?? env.envs.some((e) => typeof e.actionMask === "function"))
      ? space.n
      : 0;
    const N = env.numEnvs;
    this.obs = new Float64Array(N * env.obsDim);
    this.episodes = new EpisodeTracker(N);
    this.#envActions = new Float64Array(N * this.actDim);
    this.#rewards = new Float64Array(N);
    this.#finalValues = new Float64Array(N);
    this.#finalObs = new Float64Array(env.obsDim);
    this.#masks = this.maskSize > 0 ? new Uint8Array(N * this.maskSize) : undefined;
    this.#lastValues = new Float64Array(N);
  }

  /** Reset all sub-envs (sub-env i with seed + i). */
  reset(seed: number): void {
    this.env.reset({ seed });
    this.#observe(true);
  }

  #observe(update: boolean): void {
    if (this.normalizer) {
      this.normalizer.normalizeObs(this.env.observations, this.env.numEnvs, this.obs, update);
    } else this.obs.set(this.env.observations);
  }

  /**
   * Fill `buffer` (reset first) with `buffer.nSteps` vectorised steps and compute GAE(λ).
   * Returns the number of env steps taken.
   */
  collect(buffer: RolloutBuffer, gamma: number, gaeLambda: number): number {
    const env = this.env;
    const engine = this.engine;
    const N = env.numEnvs;
    const d = env.obsDim;
    const masks = this.#masks;
    buffer.reset();
    for (let t = 0; t < buffer.nSteps; t++) {
      if (masks) env.actionMasks!(masks);
      const out = engine.act(this.obs, { masks });
      clipActions(env.actionSpace, out.actions, { out: this.#envActions }); // env gets the clipped action
      env.step(this.#envActions);
      this.episodes.step(env.rewards, env.terminated, env.truncated); // raw returns
      if (this.normalizer) {
        this.normalizer.normalizeRewards(env.rewards, doneFlags(env), this.#rewards);
      } else this.#rewards.set(env.rewards);
      // Truncation is not termination: bootstrap from V(final observation before auto-reset).
      for (let i = 0; i < N; i++) {
        if (env.truncated[i] && !env.terminated[i]) {
          this.#finalObs.set(env.finalObservations.subarray(i * d, (i + 1) * d));
          if (this.normalizer) {
            this.normalizer.normalizeObs(this.#finalObs, 1, this.#finalObs, false);
          }
          this.#finalValues[i] = engine.predictValues(this.#finalObs, 1, this.#oneValue)[0];
        }
      }
      buffer.add({
        obs: this.obs,
        actions: out.actions, // the raw (unclipped) sample: its log-prob is what was stored
        logProbs: out.logProb,
        values: out.value,
        rewards: this.#rewards,
        terminated: env.terminated,
        truncated: env.truncated,
        finalValues: this.#finalValues,
        masks,
      });
      this.#observe(true);
    }
    // GAE(λ), with V(s_T) of the observations after the last step
    engine.predictValues(this.obs, N, this.#lastValues);
    buffer.computeReturnsAndAdvantages(this.#lastValues, { gamma, lambda: gaeLambda });
    return buffer.nSteps * N;
  }
}

/**
 * Running means of the {@link UpdateStats} of an update's optimiser steps (minibatches), for
 * the per-update log. Sums in step order, so the means are identical to summing by hand.
 */
export class UpdateStatsMean {
  /** Optimiser steps added. */
  steps = 0;
  #loss = 0;
  #policyLoss = 0;
  #valueLoss = 0;
  #entropy = 0;
  #approxKl = 0;
  #clipFraction = 0;
  #gradNorm = 0;
  #refKl = 0;

  /** Add one optimiser step's statistics. */
  add(st: UpdateStats): void {
    this.#loss += st.loss;
    this.#policyLoss += st.policyLoss;
    this.#valueLoss += st.valueLoss;
    this.#entropy += st.entropy;
    this.#approxKl += st.approxKl;
    this.#clipFraction += st.clipFraction;
    this.#gradNorm += st.gradNorm;
    this.#refKl += st.refKl;
    this.steps++;
  }

  /** Means over the steps added (NaN before any step). */
  mean(): UpdateStats {
    const n = this.steps;
    return {
      loss: this.#loss / n,
      policyLoss: this.#policyLoss / n,
      valueLoss: this.#valueLoss / n,
      entropy: this.#entropy / n,
      approxKl: this.#approxKl / n,
      clipFraction: this.#clipFraction / n,
      gradNorm: this.#gradNorm / n,
      refKl: this.#refKl / n,
    };
  }
}
