/**
 * On-policy rollout buffer (`nSteps × nEnvs` transitions, time-major) with GAE(λ).
 *
 * Episode ends: `terminated` is a real end (the next value is 0); `truncated` (time limit, end
 * of the data window) is NOT terminal: the TD target bootstraps from V(final observation), the
 * value of the observation the sub-env reached before its auto-reset (`VecEnv.finalObservations`).
 * In both cases the advantage recursion stops at the episode boundary, because the next
 * stored observation belongs to a new episode.
 *
 * @module
 */
import type { Minibatch } from "./engines/engine.ts";

/** Allocate a {@link Minibatch} able to hold `capacity` rows. */
export function createMinibatch(
  capacity: number,
  obsDim: number,
  options: { actDim?: number; maskSize?: number; refLogProb?: boolean } = {},
): Minibatch {
  const actDim = options.actDim ?? 1;
  return {
    size: 0,
    obs: new Float64Array(capacity * obsDim),
    actions: new Float64Array(capacity * actDim),
    oldLogProb: new Float64Array(capacity),
    advantages: new Float64Array(capacity),
    returns: new Float64Array(capacity),
    oldValues: new Float64Array(capacity),
    masks: options.maskSize ? new Uint8Array(capacity * options.maskSize) : undefined,
    refLogProb: options.refLogProb ? new Float64Array(capacity) : undefined,
  };
}

/**
 * Normalise `x[0..n)` in place (`n` default `x.length`): (x − mean) / (std + eps), std unbiased (n − 1) as torch's
 * `std()` in SB3/CleanRL's per-minibatch advantage normalisation; eps = 1e-8. A single sample
 * is left unchanged (SB3 skips normalisation when the minibatch has one element).
 */
export function normalizeInPlace(
  x: Float64Array,
  options: { n?: number; eps?: number } = {},
): void {
  const n = options.n ?? x.length;
  const eps = options.eps ?? 1e-8;
  if (n < 2) return; // SB3 skips normalisation for a single sample (std undefined)
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i] - mean) * (x[i] - mean);
  const std = Math.sqrt(v / (n - 1));
  const inv = 1 / (std + eps);
  for (let i = 0; i < n; i++) x[i] = (x[i] - mean) * inv;
}

/** Explained variance 1 − Var(y − ŷ)/Var(y) (NaN when Var(y) = 0), as SB3 logs it. */
export function explainedVariance(
  pred: Float64Array,
  target: Float64Array,
  options: { n?: number } = {},
): number {
  const n = options.n ?? pred.length;
  let my = 0;
  let md = 0;
  for (let i = 0; i < n; i++) {
    my += target[i];
    md += target[i] - pred[i];
  }
  my /= n;
  md /= n;
  let vy = 0;
  let vd = 0;
  for (let i = 0; i < n; i++) {
    vy += (target[i] - my) ** 2;
    const d = target[i] - pred[i] - md;
    vd += d * d;
  }
  return vy === 0 ? NaN : 1 - vd / vy;
}

/** Time-major rollout storage; index of (step t, env i) is `t × nEnvs + i`. */
export class RolloutBuffer {
  readonly nSteps: number;
  readonly nEnvs: number;
  readonly obsDim: number;
  readonly actDim: number;
  /** Action-mask width (0 = no masks stored). */
  readonly maskSize: number;
  readonly obs: Float64Array;
  readonly actions: Float64Array;
  readonly rewards: Float64Array;
  readonly values: Float64Array;
  readonly logProbs: Float64Array;
  /** 1 when the transition ended its episode (terminated or truncated). */
  readonly ended: Uint8Array;
  /** V(final observation) for truncated (not terminated) transitions, else 0. */
  readonly bootstrap: Float64Array;
  readonly masks: Uint8Array | null;
  readonly advantages: Float64Array;
  readonly returns: Float64Array;
  /** Number of steps stored (0..nSteps). */
  pos = 0;

  /** @param nSteps steps per env per rollout; @param nEnvs parallel envs. */
  constructor(
    nSteps: number,
    nEnvs: number,
    options: { obsDim: number; actDim?: number; maskSize?: number },
  ) {
    this.nSteps = nSteps;
    this.nEnvs = nEnvs;
    this.obsDim = options.obsDim;
    this.actDim = options.actDim ?? 1;
    this.maskSize = options.maskSize ?? 0;
    const n = nSteps * nEnvs;
    this.obs = new Float64Array(n * this.obsDim);
    this.actions = new Float64Array(n * this.actDim);
    this.rewards = new Float64Array(n);
    this.values = new Float64Array(n);
    this.logProbs = new Float64Array(n);
    this.ended = new Uint8Array(n);
    this.bootstrap = new Float64Array(n);
    this.masks = this.maskSize > 0 ? new Uint8Array(n * this.maskSize) : null;
    this.advantages = new Float64Array(n);
    this.returns = new Float64Array(n);
  }

  /** Total transitions when full (`nSteps × nEnvs`). */
  get size(): number {
    return this.nSteps * this.nEnvs;
  }

  /** Start a new rollout. */
  reset(): void {
    this.pos = 0;
  }

  /**
   * Store one vectorised step. `obs` are the observations the actions were taken on;
   * `finalValues[i]` = V(final observation of env i), read only where `truncated[i]` and not
   * `terminated[i]`.
   */
  add(step: {
    obs: Float64Array;
    actions: ArrayLike<number>;
    logProbs: ArrayLike<number>;
    values: ArrayLike<number>;
    rewards: ArrayLike<number>;
    terminated: ArrayLike<number>;
    truncated: ArrayLike<number>;
    finalValues?: ArrayLike<number>;
    masks?: Uint8Array;
  }): void {
    if (this.pos >= this.nSteps) throw new RangeError("RolloutBuffer is full; call reset()");
    const N = this.nEnvs;
    const base = this.pos * N;
    const no = N * this.obsDim;
    this.obs.set(step.obs.length === no ? step.obs : step.obs.subarray(0, no), base * this.obsDim);
    for (let k = 0; k < N * this.actDim; k++) {
      this.actions[base * this.actDim + k] = step.actions[k];
    }
    if (this.masks && step.masks) {
      const nm = N * this.maskSize;
      const src = step.masks.length === nm ? step.masks : step.masks.subarray(0, nm);
      this.masks.set(src, base * this.maskSize);
    }
    for (let i = 0; i < N; i++) {
      const j = base + i;
      this.logProbs[j] = step.logProbs[i];
      this.values[j] = step.values[i];
      this.rewards[j] = step.rewards[i];
      const term = step.terminated[i] !== 0;
      const trunc = step.truncated[i] !== 0;
      this.ended[j] = term || trunc ? 1 : 0;
      this.bootstrap[j] = trunc && !term ? (step.finalValues ? step.finalValues[i] : 0) : 0;
    }
    this.pos++;
  }

  /**
   * GAE(λ) over the stored steps (SB3/CleanRL recursion):
   * δ_t = r_t + γ·V_next − V(s_t), A_t = δ_t + γλ·A_{t+1}·(1 − ended_t), R_t = A_t + V(s_t),
   * where V_next = V(s_{t+1}) when the episode continues, the bootstrap value V(final obs) on
   * truncation, 0 on termination; `lastValues` = V(observations after the last step).
   */
  computeReturnsAndAdvantages(
    lastValues: ArrayLike<number>,
    options: { gamma: number; lambda: number },
  ): void {
    const { gamma, lambda } = options;
    const N = this.nEnvs;
    const T = this.pos;
    for (let i = 0; i < N; i++) {
      let lastGae = 0;
      for (let t = T - 1; t >= 0; t--) {
        const j = t * N + i;
        let nextV: number;
        let carry: number;
        if (this.ended[j]) {
          nextV = this.bootstrap[j];
          carry = 0;
        } else {
          nextV = t === T - 1 ? lastValues[i] : this.values[j + N];
          carry = lastGae;
        }
        const delta = this.rewards[j] + gamma * nextV - this.values[j];
        lastGae = delta + gamma * lambda * carry;
        this.advantages[j] = lastGae;
        this.returns[j] = lastGae + this.values[j];
      }
    }
  }

  /** Copy transitions `indices[start .. start+size)` into `mb` (sets `mb.size`). */
  fillMinibatch(
    mb: Minibatch,
    indices: ArrayLike<number>,
    options: { start: number; size: number },
  ): void {
    const { start, size } = options;
    const d = this.obsDim;
    const ad = this.actDim;
    const ms = this.maskSize;
    for (let r = 0; r < size; r++) {
      const j = indices[start + r];
      const src = j * d;
      const dst = r * d;
      for (let k = 0; k < d; k++) mb.obs[dst + k] = this.obs[src + k]; // no subarray views
      for (let k = 0; k < ad; k++) mb.actions[r * ad + k] = this.actions[j * ad + k];
      mb.oldLogProb[r] = this.logProbs[j];
      mb.advantages[r] = this.advantages[j];
      mb.returns[r] = this.returns[j];
      mb.oldValues[r] = this.values[j];
      if (ms > 0 && mb.masks && this.masks) {
        for (let k = 0; k < ms; k++) mb.masks[r * ms + k] = this.masks[j * ms + k];
      }
    }
    mb.size = size;
  }
}
