/**
 * The training-callback hook shared by PPO, A2C and GRPO, and the per-update log record.
 *
 * A callback is a plain object with any of the optional methods below. Each may be async.
 * `onRolloutEnd` and `onUpdate` stop training when they return `false` (strictly `false`;
 * `undefined`/`true` continue). Evaluation, checkpointing, early stopping and TensorBoard
 * writers are built on top of this (see the run-directory module).
 *
 * @module
 */
import type { ActorCriticEngine } from "./engines/engine.ts";
import type { VecNormalizer } from "./normalizer.ts";

/** What a callback sees. Read-only by convention; the engine may be saved/evaluated. */
export interface TrainContext {
  /** Which algorithm is training. */
  algorithm: "ppo" | "a2c" | "grpo";
  /** The model being trained. */
  engine: ActorCriticEngine;
  /** The observation normaliser, when one is used (save it with the model). */
  normalizer: VecNormalizer | null;
  /** Environment steps taken so far (all envs, all group rollouts). */
  timesteps: number;
  /** Completed updates (rollout + optimisation phases) so far. */
  updates: number;
  /** The training budget in environment steps. */
  totalTimesteps: number;
}

/**
 * Statistics of one update, as logged (SB3 names in brackets). Means over the update's
 * minibatch steps unless stated; `null` when not applicable (e.g. no episode finished yet,
 * no critic). Units: rewards in env units per episode; times in seconds.
 */
export interface UpdateLog {
  /** 1-based update index. */
  update: number;
  /** Environment steps so far. */
  timesteps: number;
  /** Environment steps per second since training started (time/fps). */
  fps: number;
  /** Seconds since training started. */
  timeElapsed: number;
  /**
   * Seconds spent collecting rollouts (env + inference) since the previous log: one update for
   * PPO/GRPO, the `logInterval` updates of the window for A2C.
   */
  rolloutSeconds: number;
  /** Seconds spent in gradient steps since the previous log (as `rolloutSeconds`). */
  trainSeconds: number;
  /** Learning rate used (after annealing). */
  learningRate: number;
  /** Ratio clip ε used (PPO/GRPO), else null. */
  clipRange: number | null;
  /** Total loss (train/loss). */
  loss: number;
  /** train/policy_gradient_loss. */
  policyLoss: number;
  /** train/value_loss (null without a critic). */
  valueLoss: number | null;
  /** Mean policy entropy (nats; SB3 logs its negative as entropy_loss). */
  entropy: number;
  /** train/approx_kl ((r − 1) − log r); null for A2C. */
  approxKl: number | null;
  /** train/clip_fraction; null for A2C. */
  clipFraction: number | null;
  /** train/explained_variance of the rollout's values vs returns (null without a critic). */
  explainedVariance: number | null;
  /** Mean global gradient norm before clipping. */
  gradNorm: number;
  /** GRPO: mean k3 KL estimate to the reference policy. */
  refKl: number | null;
  /** GRPO: fraction of groups whose returns all tied (zero std, no learning signal). */
  zeroStdGroupFraction: number | null;
  /** Epochs actually run (PPO target-KL early stop may cut them). */
  epochs: number;
  /** Mean raw (unnormalised) return of the last ≤ 100 finished episodes (rollout/ep_rew_mean). */
  episodeReturnMean: number | null;
  /** Mean length of the last ≤ 100 finished episodes (rollout/ep_len_mean). */
  episodeLengthMean: number | null;
  /** Episodes finished during this update's rollout. */
  episodesFinished: number;
}

/** Hooks called by the training loops. All optional; return `false` to stop training. */
export interface Callback {
  /** Once, before the first rollout. */
  onTrainingStart?(ctx: TrainContext): void | Promise<void>;
  /** After each rollout, before the gradient steps. */
  onRolloutEnd?(ctx: TrainContext): boolean | void | Promise<boolean | void>;
  /** After each logged update (every `logInterval` updates), with its statistics. */
  onUpdate?(ctx: TrainContext, log: UpdateLog): boolean | void | Promise<boolean | void>;
  /** Once, after the last update (also after an early stop). */
  onTrainingEnd?(ctx: TrainContext): void | Promise<void>;
}

/** Call `hook` on every callback in order; resolves false if any returned `false`. */
export async function runCallbacks(
  callbacks: readonly Callback[],
  call: (cb: Callback) => boolean | void | Promise<boolean | void> | undefined,
): Promise<boolean> {
  let keepGoing = true;
  for (const cb of callbacks) {
    let r = call(cb);
    if (r instanceof Promise) r = await r;
    if (r === false) keepGoing = false;
  }
  return keepGoing;
}
