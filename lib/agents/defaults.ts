/**
 * The algorithms' default hyperparameters, written once: the specification's values (its
 * Python uses Stable-Baselines3's PPO and A2C defaults; GRPO follows DeepSeekMath's
 * group-relative setup). `lib/experiment/config.ts` builds the run configuration from these
 * tables; a field an algorithm does not use is absent from its table.
 *
 * Learning rate: SB3 keeps it constant, so `annealLr` is false for every algorithm here (a
 * preset may switch linear annealing on, as `synthetic-ppo` does).
 *
 * @module
 */

/** PPO defaults (SB3 `PPO`). */
export const PPO_DEFAULTS = Object.freeze({
  /** Adam learning rate. */
  learningRate: 3e-4,
  /** Linearly anneal the learning rate to 0 over training. */
  annealLr: false,
  /** Steps per env per rollout. */
  nSteps: 2048,
  /** Minibatch size (transitions). */
  batchSize: 64,
  /** Passes over each rollout. */
  nEpochs: 10,
  /** Discount per step. */
  gamma: 0.99,
  /** GAE λ. */
  gaeLambda: 0.95,
  /** Ratio clip ε. */
  clipRange: 0.2,
  /** Value clip ε_v, or null for none. */
  clipRangeVf: null as number | null,
  /** Normalise advantages per minibatch. */
  normalizeAdvantage: true,
  /** Entropy bonus coefficient. */
  entCoef: 0.01,
  /** Value-loss coefficient. */
  vfCoef: 0.5,
  /** Global gradient-norm clip. */
  maxGradNorm: 0.5,
  /** Stop an update's epochs once approx-KL exceeds this, or null. */
  targetKl: null as number | null,
});

/** A2C defaults (SB3 `A2C`, RMSprop). */
export const A2C_DEFAULTS = Object.freeze({
  /** RMSprop learning rate. */
  learningRate: 7e-4,
  /** Linearly anneal the learning rate to 0 over training. */
  annealLr: false,
  /** Steps per env per rollout (one update per rollout). */
  nSteps: 5,
  /** Discount per step. */
  gamma: 0.99,
  /** GAE λ (1 = plain n-step returns). */
  gaeLambda: 1.0,
  /** Normalise advantages. */
  normalizeAdvantage: false,
  /** Entropy bonus coefficient. */
  entCoef: 0.01,
  /** Value-loss coefficient. */
  vfCoef: 0.5,
  /** Global gradient-norm clip. */
  maxGradNorm: 0.5,
});

/** GRPO defaults (critic-free, group-relative advantages, KL to a reference policy). */
export const GRPO_DEFAULTS = Object.freeze({
  /** Adam learning rate. */
  learningRate: 3e-4,
  /** Linearly anneal the learning rate to 0 over training. */
  annealLr: false,
  /** Passes over each update's samples. */
  nEpochs: 4,
  /** Minibatch size (transitions). */
  batchSize: 256,
  /** Ratio clip ε. */
  clipRange: 0.2,
  /** Entropy bonus coefficient. */
  entCoef: 0,
  /** Global gradient-norm clip. */
  maxGradNorm: 0.5,
  /** Rollouts per group (same start state). */
  groupSize: 16,
  /** Steps per group rollout. */
  horizon: 64,
  /** Groups per update. */
  groupsPerUpdate: 4,
  /** KL penalty β to the reference policy. */
  klCoef: 0.04,
  /**
   * Refresh the KL reference to the current policy every this many updates (1: the policy at
   * the start of each update; 0: the frozen initial policy). See `lib/agents/grpo.ts`.
   */
  refUpdateInterval: 1,
  /** Advantage variant: one per rollout (`outcome`) or per step (`process`). */
  advantage: "outcome" as "outcome" | "process",
});
