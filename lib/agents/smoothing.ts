/**
 * Prediction smoothing (`002_537e98b5fe746c23.txt`: "EMA on logits"): a {@link Policy} wrapper
 * that keeps, per env row, an exponential moving average of the policy's logits (categorical)
 * or means (Gaussian) and acts on the average, which damps whipsawing between actions on noisy
 * observations. s ← α·z + (1 − α)·s, starting from the first output after {@link reset}.
 *
 * Deterministic acting takes the argmax over valid actions (or the smoothed mean); stochastic
 * acting samples from softmax(s) with the given PRNG (categorical) or returns the engine's own
 * sample (Gaussian). The reported log-probability is under the smoothed distribution
 * (categorical) or the engine's (Gaussian).
 *
 * @module
 */
import { ConfigError, Rng } from "../util/mod.ts";
import type { Space } from "../env/mod.ts";
import type { ActorCriticEngine } from "./engines/engine.ts";
import type { ActOptions, ActResult, Policy } from "./policy.ts";
import { NormalizedPolicy } from "./normalized_policy.ts";
import type { VecNormalizer } from "./normalizer.ts";

/** Options of {@link SmoothedPolicy}. */
export interface SmoothingOptions {
  /** Weight α ∈ (0, 1] of the newest output (1 = no smoothing). Default 0.3. */
  alpha?: number;
  /** Seed of the sampling PRNG (stochastic acting). Default 0. */
  seed?: number;
  /** Frozen observation normaliser applied before the engine (a trained model's), or null. */
  normalizer?: VecNormalizer | null;
  /** Report name. Default `<engine>+ema`. */
  name?: string;
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha <= 1)) {
    throw new ConfigError(`smoothing alpha must be in (0, 1], got ${alpha}`, {
      parameter: "smoothing",
    }, "α is the weight of the newest output: 1 = no smoothing, 0.3 = the specification's");
  }
}

/**
 * EMA of a Box policy's actions: a ← α·a_t + (1 − α)·a, from the first action after
 * {@link reset}. For a trained Gaussian policy acting deterministically the action is the
 * mean, so this is {@link SmoothedPolicy}'s EMA of means; it also smooths rule policies.
 */
class EmaActionPolicy implements Policy {
  readonly name: string;
  #state: Float64Array | null = null;
  constructor(readonly inner: Policy, readonly alpha: number) {
    this.name = `${inner.name}+ema`;
  }
  reset(): void {
    this.#state = null;
    this.inner.reset?.();
  }
  act(observations: Float64Array, options?: ActOptions): ActResult {
    const out = this.inner.act(observations, options);
    const z = out.actions;
    if (this.#state === null || this.#state.length !== z.length) this.#state = z.slice();
    else {
      const a = this.alpha;
      for (let i = 0; i < z.length; i++) this.#state[i] = a * z[i] + (1 - a) * this.#state[i];
    }
    return { actions: this.#state, logProb: out.logProb, value: out.value };
  }
}

/**
 * The specification's prediction smoothing applied to any evaluated policy (what the episode
 * loop's `smoothing` option does): on a Box action space, an EMA of the policy's actions (the
 * means, for a trained Gaussian policy acting deterministically); on a Discrete one, the EMA
 * of the logits of a trained model ({@link SmoothedPolicy} over a {@link NormalizedPolicy}'s
 * engine and normaliser). A discrete rule policy has no logits to smooth: ConfigError.
 * @param policy the policy to smooth
 * @param space the env's action space
 * @param alpha weight α ∈ (0, 1] of the newest output
 */
export function smoothPolicy(policy: Policy, space: Space, alpha: number): Policy {
  checkAlpha(alpha);
  if (space.kind === "box") return new EmaActionPolicy(policy, alpha);
  if (policy instanceof NormalizedPolicy) {
    return new SmoothedPolicy(policy.engine, {
      alpha,
      normalizer: policy.normalizer,
      name: `${policy.name}+ema`,
    });
  }
  throw new ConfigError(
    `policy ${policy.name} has no logits to smooth on a discrete action space`,
    { parameter: "smoothing" },
    "smoothing applies to trained models (loadRun) or to Box-action envs",
  );
}

/** EMA-of-logits wrapper around an engine. Rows are envs; keep the batch size fixed. */
export class SmoothedPolicy implements Policy {
  readonly name: string;
  readonly alpha: number;
  readonly #engine: ActorCriticEngine;
  readonly #normalizer: VecNormalizer | null;
  #buf = new Float64Array(0);
  readonly #n: number;
  readonly #categorical: boolean;
  #state: Float64Array | null = null;
  #rng: Rng;

  /** @param engine the trained model (only `policyOutput`/`predictValues`/`act` are used). */
  constructor(engine: ActorCriticEngine, options: SmoothingOptions = {}) {
    this.alpha = options.alpha ?? 0.3;
    checkAlpha(this.alpha);
    this.#engine = engine;
    this.#normalizer = options.normalizer ?? null;
    this.name = options.name ?? `${engine.name}+ema`;
    const head = engine.config.head;
    this.#categorical = head.kind === "categorical";
    this.#n = head.kind === "categorical" ? head.n : head.dim;
    this.#rng = new Rng(options.seed ?? 0);
  }

  /** Forget the averages (call at episode start). */
  reset(): void {
    this.#state = null;
  }

  act(rawObservations: Float64Array, options: ActOptions = {}): ActResult {
    let observations = rawObservations;
    const batch = observations.length / this.#engine.config.obsDim;
    if (this.#normalizer) {
      if (this.#buf.length !== observations.length) {
        this.#buf = new Float64Array(observations.length);
      }
      observations = this.#normalizer.normalizeObs(observations, batch, this.#buf, false);
    }
    const z = this.#engine.policyOutput(observations, batch);
    const n = this.#n;
    if (this.#state === null || this.#state.length !== z.length) this.#state = z.slice();
    else {
      const a = this.alpha;
      for (let i = 0; i < z.length; i++) this.#state[i] = a * z[i] + (1 - a) * this.#state[i];
    }
    const s = this.#state;
    const value = this.#engine.predictValues(observations, batch);
    const logProb = new Float64Array(batch);
    if (!this.#categorical) {
      if (options.deterministic) return { actions: s.slice(), logProb: logProb.fill(NaN), value };
      const out = this.#engine.act(observations, options);
      return { actions: out.actions, logProb: out.logProb, value };
    }
    const actions = new Float64Array(batch);
    const masks = options.masks;
    for (let r = 0; r < batch; r++) {
      const o = r * n;
      let max = -Infinity;
      for (let j = 0; j < n; j++) if ((!masks || masks[o + j]) && s[o + j] > max) max = s[o + j];
      if (max === -Infinity) {
        throw new ConfigError(`row ${r} has no valid action`, { parameter: "masks" });
      }
      let sum = 0;
      for (let j = 0; j < n; j++) if (!masks || masks[o + j]) sum += Math.exp(s[o + j] - max);
      const lse = max + Math.log(sum);
      let a = -1;
      if (options.deterministic) {
        for (let j = 0; j < n && a < 0; j++) {
          if ((!masks || masks[o + j]) && s[o + j] === max) a = j;
        }
      } else {
        let u = this.#rng.next();
        for (let j = 0; j < n && a < 0; j++) {
          if (masks && !masks[o + j]) continue;
          u -= Math.exp(s[o + j] - lse);
          if (u < 0) a = j;
        }
        for (let j = n - 1; a < 0 && j >= 0; j--) if (!masks || masks[o + j]) a = j;
      }
      actions[r] = a;
      logProb[r] = s[o + a] - lse;
    }
    return { actions, logProb, value };
  }
}
