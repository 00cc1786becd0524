/**
 * The actor-critic engine interface. Two implementations sit behind it:
 * `fast` (hand-written forward/backward on Float64Array, analytic loss gradients) and
 * `tfjs` (the reference: tfjs autodiff, any architecture). Algorithms (PPO, A2C, GRPO) collect
 * rollouts, compute advantages and minibatches, and call {@link ActorCriticEngine.update} with
 * their {@link Loss} to take one optimiser step. The loss formulas live in the algorithms'
 * files; an engine computes the per-sample log-probabilities, entropies and values the loss
 * is built from, chains the loss's derivatives back to the weights and applies the optimiser.
 * The engines' gradients are cross-checked against each other and against finite differences
 * in the tests.
 *
 * @module
 */
import type { Policy } from "../policy.ts";

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
 * The per-sample quantities of the current parameters that the algorithms' losses are built
 * from. Rows `0 .. size−1` are used. The engine computes them (forward pass + action head);
 * the algorithm's {@link Loss} turns them into a scalar loss and its derivatives.
 */
export interface LossInputs {
  /** Rows in use. */
  size: number;
  /** log π(a_i | s_i) of the minibatch actions under the current policy. */
  logProb: Float64Array;
  /** Entropy H(π(· | s_i)) of the current policy (nats). */
  entropy: Float64Array;
  /** V(s_i) of the current critic, or null when the loss does not use a critic. */
  value: Float64Array | null;
}

/**
 * dLoss / dInput for every {@link LossInputs} entry, written by {@link Loss.evaluate}. The
 * engine chains them through the action head and the networks (fast: analytic backward
 * pass; tfjs: autodiff of Σ dLogProb·logProb + dEntropy·entropy + dValue·value).
 */
export interface LossGradients {
  logProb: Float64Array;
  entropy: Float64Array;
  /** Ignored (may hold anything) when the loss does not use a critic. */
  value: Float64Array;
}

/** Statistics of one minibatch loss (means over the minibatch), as a {@link Loss} reports them. */
export type LossStats = Omit<UpdateStats, "gradNorm">;

/**
 * An algorithm's minibatch loss, written once in the algorithm's file (`ppo.ts`, `a2c.ts`,
 * `grpo.ts`) and used by every engine: the engines provide forward/backward passes and
 * optimisers, and know nothing about PPO, A2C or GRPO.
 */
export interface Loss {
  /** Whether the loss uses V(s): the engine then computes `value` and trains the critic. */
  readonly usesCritic: boolean;
  /**
   * The loss of `mb` given the per-sample `inputs`: fill `grads` with dLoss/dInput (every row
   * `0 .. size−1` is written) and return the loss statistics.
   */
  evaluate(mb: Minibatch, inputs: LossInputs, grads: LossGradients): LossStats;
}

/** The optimiser step that follows a loss. */
export interface StepConfig {
  /** Learning rate of this step (after annealing). */
  learningRate: number;
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
  /** One optimiser step on the minibatch loss: gradients, global-norm clip, Adam/RMSprop. */
  update(mb: Minibatch, loss: Loss, step: StepConfig): UpdateStats;
  /**
   * Optional: the raw gradients of the minibatch loss (before global-norm clipping) and the
   * loss statistics, without changing weights or optimiser state. Named like
   * {@link getWeights} (only trainable tensors, same order). Used by the cross-check tests.
   */
  computeGradients?(
    mb: Minibatch,
    loss: Loss,
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
