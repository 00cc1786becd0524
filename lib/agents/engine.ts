/**
 * The actor-critic engine interface. Two implementations sit behind it:
 * `fast` (hand-written forward/backward on Float64Array, analytic loss gradients) and
 * `tfjs` (the reference: tfjs autodiff, any architecture). Algorithms (PPO, A2C, GRPO) collect
 * rollouts, compute advantages and minibatches, and call {@link ActorCriticEngine.update} with
 * the loss to take one optimiser step; the loss formulas live in each engine and are
 * cross-checked between them in the tests.
 *
 * @module
 */
import type { Policy } from "./policy.ts";

/** Which engine. */
export type EngineKind = "fast" | "tfjs";

/** The action head. */
export type ActionHead =
  | { kind: "categorical"; n: number }
  | { kind: "gaussian"; dim: number; /** initial log standard deviation */ logStdInit: number };

/** Network shape: separate policy and value MLPs with tanh hidden layers. */
export interface NetworkConfig {
  /** Observation dimension. */
  obsDim: number;
  /** Hidden layer widths of the policy net, e.g. `[64, 64]`. */
  piHidden: number[];
  /** Hidden layer widths of the value net, e.g. `[64, 64]`. Empty array + `critic:false` for GRPO. */
  vfHidden: number[];
  /** Whether a value network exists (false for GRPO). */
  critic: boolean;
  head: ActionHead;
  /** Optimiser. PPO/GRPO: Adam (eps 1e-5); A2C: RMSprop (alpha 0.99, eps 1e-5). */
  optimizer: { kind: "adam"; eps: number; beta1?: number; beta2?: number } | {
    kind: "rmsprop";
    alpha: number;
    eps: number;
  };
}

/**
 * Weight tensor naming (shared by both engines and the tfjs `model.json` writer):
 * `pi/dense_{i}/kernel` `[in, out]`, `pi/dense_{i}/bias` `[out]`, `pi/head/kernel`,
 * `pi/head/bias` (logits or Gaussian mean), `pi/log_std` `[dim]` (Gaussian only),
 * `vf/dense_{i}/kernel`, `vf/dense_{i}/bias`, `vf/head/kernel` `[in, 1]`, `vf/head/bias` `[1]`.
 * Kernels are row-major `[in, out]` as in tfjs Dense layers.
 */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float64Array;
}

/** One minibatch, row-major. Rows `0 .. size−1` are used. */
export interface Minibatch {
  size: number;
  /** `size × obsDim`. */
  obs: Float64Array;
  /** `size` action indices (categorical) or `size × dim` values (Gaussian). */
  actions: Float64Array;
  /** Log-probability of each action under the policy that collected it. */
  oldLogProb: Float64Array;
  /** Advantages, already normalised by the algorithm if it wants that. */
  advantages: Float64Array;
  /** Value targets (returns). Unused without a critic. */
  returns: Float64Array;
  /** Values predicted at collection time (for value clipping). Unused without a critic. */
  oldValues: Float64Array;
  /** `size × n` action masks (categorical only, 1 = allowed). */
  masks?: Uint8Array;
  /** GRPO: log-probability of each action under the reference policy. */
  refLogProb?: Float64Array;
}

/**
 * The loss of one optimiser step.
 * - `ppo`: −mean(min(r·A, clip(r, 1±ε)·A)) + vfCoef·valueLoss − entCoef·entropy, where
 *   valueLoss = mean((V − R)²) or, with `clipRangeVf`, mean(max((V−R)², (V_old + clip(V − V_old, ±εv) − R)²)).
 *   NOTE: SB3 uses MSE without the ½ factor; we do the same.
 * - `a2c`: −mean(logπ(a)·A) + vfCoef·mean((V − R)²) − entCoef·entropy.
 * - `grpo`: −mean(min(r·A, clip(r, 1±ε)·A)) + klCoef·mean(ρ − log ρ − 1) with ρ = π_ref/π
 *   (k3 estimator) − entCoef·entropy; no critic.
 */
export interface LossConfig {
  kind: "ppo" | "a2c" | "grpo";
  /** Learning rate of this step (after annealing). */
  learningRate: number;
  /** PPO/GRPO ratio clip ε. */
  clipRange: number;
  /** PPO value clip ε_v, or null for no value clipping. */
  clipRangeVf: number | null;
  entCoef: number;
  vfCoef: number;
  /** GRPO KL penalty β. */
  klCoef: number;
  /** Global gradient-norm clip (L2 over all parameters); `Infinity` disables. */
  maxGradNorm: number;
}

/** Statistics of one update step (means over the minibatch). */
export interface UpdateStats {
  loss: number;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  /** (r − 1) − log r, averaged (CleanRL's approx_kl). */
  approxKl: number;
  /** Fraction of samples with |r − 1| > ε. */
  clipFraction: number;
  /** GRPO: mean KL estimator to the reference policy; 0 otherwise. */
  refKl: number;
  /** Global gradient L2 norm before clipping. */
  gradNorm: number;
}

/** An actor-critic model with its optimiser, implemented by the fast and the tfjs engine. */
export interface ActorCriticEngine extends Policy {
  readonly engine: EngineKind;
  readonly config: NetworkConfig;
  /** State values for `batch` observations (NaN-filled without a critic). */
  predictValues(obs: Float64Array, batch: number, out?: Float64Array): Float64Array;
  /** Log-probabilities and entropies of given actions under the current policy. */
  evaluateActions(
    obs: Float64Array,
    actions: Float64Array,
    batch: number,
    masks?: Uint8Array,
  ): { logProb: Float64Array; entropy: Float64Array };
  /**
   * Policy logits (categorical, `batch × n`) or means (Gaussian, `batch × dim`), for
   * smoothing and diagnostics.
   */
  policyOutput(obs: Float64Array, batch: number): Float64Array;
  /** One optimiser step on the minibatch loss. */
  update(mb: Minibatch, loss: LossConfig): UpdateStats;
  /**
   * Optional: the raw gradients of the minibatch loss (before global-norm clipping) and the
   * loss statistics, without changing weights or optimiser state. Named like
   * {@link getWeights} (only trainable tensors, same order). Used by the cross-check tests.
   */
  computeGradients?(
    mb: Minibatch,
    loss: LossConfig,
  ): { gradients: NamedTensor[]; stats: UpdateStats };
  /** Copy of all weights, named per {@link NamedTensor}. */
  getWeights(): NamedTensor[];
  /** Set all weights (names and shapes must match). */
  setWeights(weights: NamedTensor[]): void;
  /** Optimiser state (moments, step count) as named tensors plus scalars. */
  getOptimizerState(): { step: number; tensors: NamedTensor[] };
  setOptimizerState(state: { step: number; tensors: NamedTensor[] }): void;
  /** Set the seed of the engine's action-sampling PRNG. */
  seed(seed: number): void;
  /** A deep copy (weights only, fresh optimiser), e.g. a frozen GRPO reference policy. */
  clone(): ActorCriticEngine;
  /** Release resources (tfjs tensors). */
  dispose(): void;
}
