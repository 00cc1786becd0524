/**
 * Running observation normalisation and return-based reward scaling with Stable-Baselines3
 * `VecNormalize` semantics:
 * - running mean/variance by the parallel (Chan et al.) update over each batch, count starting
 *   at 1e-4 (SB3's `RunningMeanStd(epsilon=1e-4)`);
 * - obs ← clip((obs − mean) / √(var + 1e-8), ±clipObs), clipObs = 10;
 * - reward ← clip(r / √(var(G) + 1e-8), ±clipReward) where G ← γ·G + r is the running
 *   discounted return per env (reset to 0 when the episode ends), clipReward = 10.
 * Statistics update only while `training` is true: set it false (freeze) at evaluation.
 *
 * Variance floor (issue 19; a departure from SB3): an observation dimension that was CONSTANT
 * in training — fewer than `constantShare` (default 1 %) of the observations it was updated
 * with differ from the first value it saw, or its running variance is ≤ 1e-12 — has its
 * variance floored to 1: it is only centred, `clip(obs − mean, ±clipObs)`, in its own unit.
 * Without the floor, a feature that was 0 through training (e.g. open interest missing from
 * the training split) gets a variance near 0 and every later real value is scaled by ~1e4 and
 * hits the clip on every bar. With it, such a value saturates only if it moves 10 of its own
 * units (fractions, percents and 0/1 flags never do). {@link VecNormalizer.constantDims}
 * lists such dimensions, the JSON records them (`constant`), and `trainRun` warns about them.
 * `constantShare: 0` switches the floor off (plain SB3 behaviour). The floor applies to the
 * FROZEN normaliser only (`training` false: evaluation, backtests, paper trading); while
 * training, a dimension that is constant so far normalises to 0 either way, and normalising
 * exactly as SB3 keeps training runs unchanged (the share of changed values is still small
 * early in a run, when applying the floor would rescale inputs mid-training). The
 * state round-trips through JSON ({@link VecNormalizer.toJSON} / {@link VecNormalizer.fromJSON}),
 * and is saved with the model.
 *
 * @module
 */
import { ModelError } from "../util/mod.ts";

/** Running mean and (population) variance of a vector stream. */
export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  /** Effective number of samples (starts at `epsilon`). */
  count: number;

  /** @param dim vector size; @param epsilon initial count (SB3: 1e-4). */
  constructor(dim: number, epsilon = 1e-4) {
    this.mean = new Float64Array(dim);
    this.var = new Float64Array(dim).fill(1);
    this.count = epsilon;
  }

  /** Update with `batch` rows of `x` (`batch × dim`). */
  update(x: ArrayLike<number>, batch: number): void {
    const d = this.mean.length;
    const tot = this.count + batch;
    for (let k = 0; k < d; k++) {
      let m = 0;
      for (let r = 0; r < batch; r++) m += x[r * d + k];
      m /= batch;
      let v = 0;
      for (let r = 0; r < batch; r++) v += (x[r * d + k] - m) ** 2;
      v /= batch;
      const delta = m - this.mean[k];
      const newMean = this.mean[k] + delta * batch / tot;
      const m2 = this.var[k] * this.count + v * batch + delta * delta * this.count * batch / tot;
      this.mean[k] = newMean;
      this.var[k] = m2 / tot;
    }
    this.count = tot;
  }
}

/** Options of {@link VecNormalizer}. */
export interface VecNormalizerOptions {
  /** Normalise observations (default true). */
  normObs?: boolean;
  /** Scale rewards by the running std of the discounted return (default false). */
  normReward?: boolean;
  /** Observation clip after normalisation (default 10, in std units). */
  clipObs?: number;
  /** Reward clip after scaling (default 10). */
  clipReward?: number;
  /** Discount of the return used for reward scaling (default 0.99). */
  gamma?: number;
  /** Added to the variance before the square root (default 1e-8). */
  epsilon?: number;
  /**
   * Variance floor: a dimension whose observations differ from the first one seen on fewer
   * than this share (0–1) of updates, or whose variance is ≤ 1e-12, is centred but not
   * scaled (see the module docs). Default 0.01; 0 switches the floor off.
   */
  constantShare?: number;
}

/** Running variance at or below this counts as constant (see the variance floor). */
export const CONSTANT_VARIANCE = 1e-12;

/** Serialised {@link VecNormalizer}. */
export interface VecNormalizerJSON {
  obsDim: number;
  numEnvs: number;
  normObs: boolean;
  normReward: boolean;
  clipObs: number;
  clipReward: number;
  gamma: number;
  epsilon: number;
  obsMean: number[];
  obsVar: number[];
  obsCount: number;
  retMean: number;
  retVar: number;
  retCount: number;
  /** Variance-floor share (absent in files written before the floor: then 0.01). */
  constantShare?: number;
  /** First observed value per dimension (null before any update). */
  obsRef?: (number | null)[];
  /** Per dimension: updates whose value differed from `obsRef`. */
  obsChanged?: number[];
  /** Observations the statistics were updated with. */
  obsSeen?: number;
  /** Dimensions constant in training (indices; informative, recomputed on load). */
  constant?: number[];
}

/** VecNormalize for a {@link VecEnv}-shaped stream of `numEnvs × obsDim` observations. */
export class VecNormalizer {
  readonly obsDim: number;
  readonly numEnvs: number;
  readonly normObs: boolean;
  readonly normReward: boolean;
  readonly clipObs: number;
  readonly clipReward: number;
  readonly gamma: number;
  readonly epsilon: number;
  readonly constantShare: number;
  readonly obsRms: RunningMeanStd;
  readonly retRms: RunningMeanStd;
  /** First observed value per dimension (NaN before any update). */
  readonly obsRef: Float64Array;
  /** Per dimension: updates whose value differed from {@link obsRef}. */
  readonly obsChanged: Float64Array;
  /** Observations the statistics were updated with. */
  obsSeen = 0;
  /** Update statistics (true while training; set false to freeze, e.g. for evaluation). */
  training = true;
  #returns: Float64Array;

  /** @param obsDim observation size; @param numEnvs parallel envs. */
  constructor(obsDim: number, numEnvs: number, options: VecNormalizerOptions = {}) {
    this.obsDim = obsDim;
    this.numEnvs = numEnvs;
    this.normObs = options.normObs ?? true;
    this.normReward = options.normReward ?? false;
    this.clipObs = options.clipObs ?? 10;
    this.clipReward = options.clipReward ?? 10;
    this.gamma = options.gamma ?? 0.99;
    this.epsilon = options.epsilon ?? 1e-8;
    this.constantShare = options.constantShare ?? 0.01;
    if (!(this.constantShare >= 0 && this.constantShare < 1)) {
      throw new ModelError(`constantShare must be in [0, 1), got ${this.constantShare}`, {
        parameter: "constantShare",
      });
    }
    this.obsRms = new RunningMeanStd(obsDim);
    this.obsRef = new Float64Array(obsDim).fill(NaN);
    this.obsChanged = new Float64Array(obsDim);
    this.retRms = new RunningMeanStd(1);
    this.#returns = new Float64Array(numEnvs);
  }

  /**
   * Normalise `batch` observations into `out` (may alias `obs`). When `update` is true and
   * `training` is on, the statistics are first updated with these observations.
   */
  normalizeObs(
    obs: Float64Array,
    batch: number,
    out: Float64Array,
    update = false,
  ): Float64Array {
    if (!this.normObs) {
      if (out !== obs) out.set(obs.subarray(0, batch * this.obsDim));
      return out;
    }
    const d = this.obsDim;
    if (update && this.training) {
      this.obsRms.update(obs, batch);
      for (let r = 0; r < batch; r++) {
        for (let k = 0; k < d; k++) {
          const x = obs[r * d + k];
          const ref = this.obsRef[k];
          if (ref !== ref) this.obsRef[k] = x; // NaN: first value
          else if (x !== ref) this.obsChanged[k]++;
        }
      }
      this.obsSeen += batch;
    }
    const c = this.clipObs;
    for (let k = 0; k < d; k++) {
      const m = this.obsRms.mean[k];
      const floored = !this.training && this.isConstant(k);
      const inv = floored ? 1 : 1 / Math.sqrt(this.obsRms.var[k] + this.epsilon);
      for (let r = 0; r < batch; r++) {
        const v = (obs[r * d + k] - m) * inv;
        out[r * d + k] = v < -c ? -c : v > c ? c : v;
      }
    }
    return out;
  }

  /**
   * Whether dimension `k` was constant in training (the variance floor applies): see the
   * module docs. Always false with `constantShare: 0` or before any update.
   */
  isConstant(k: number): boolean {
    if (this.constantShare === 0 || this.obsRms.count <= 1) return false;
    if (this.obsRms.var[k] <= CONSTANT_VARIANCE) return true;
    return this.obsSeen > 0 && this.obsChanged[k] < this.constantShare * this.obsSeen;
  }

  /** Indices of the dimensions constant in training (centred, not scaled). */
  constantDims(): number[] {
    const out: number[] = [];
    for (let k = 0; k < this.obsDim; k++) if (this.normObs && this.isConstant(k)) out.push(k);
    return out;
  }

  /**
   * Scale the `numEnvs` rewards of one step into `out`; `dones[i]` = 1 resets env i's running
   * return AFTER this step (SB3 order: update return, update stats, scale, then reset).
   */
  normalizeRewards(
    rewards: ArrayLike<number>,
    dones: ArrayLike<number>,
    out: Float64Array,
  ): Float64Array {
    const n = this.numEnvs;
    if (!this.normReward) {
      for (let i = 0; i < n; i++) out[i] = rewards[i];
      return out;
    }
    if (this.training) {
      for (let i = 0; i < n; i++) this.#returns[i] = this.#returns[i] * this.gamma + rewards[i];
      this.retRms.update(this.#returns, n);
    }
    const inv = 1 / Math.sqrt(this.retRms.var[0] + this.epsilon);
    const c = this.clipReward;
    for (let i = 0; i < n; i++) {
      const v = rewards[i] * inv;
      out[i] = v < -c ? -c : v > c ? c : v;
      if (dones[i]) this.#returns[i] = 0;
    }
    return out;
  }

  /** Plain-JSON state (statistics and settings). */
  toJSON(): VecNormalizerJSON {
    return {
      obsDim: this.obsDim,
      numEnvs: this.numEnvs,
      normObs: this.normObs,
      normReward: this.normReward,
      clipObs: this.clipObs,
      clipReward: this.clipReward,
      gamma: this.gamma,
      epsilon: this.epsilon,
      obsMean: [...this.obsRms.mean],
      obsVar: [...this.obsRms.var],
      obsCount: this.obsRms.count,
      retMean: this.retRms.mean[0],
      retVar: this.retRms.var[0],
      retCount: this.retRms.count,
      constantShare: this.constantShare,
      obsRef: [...this.obsRef].map((x) => (Number.isNaN(x) ? null : x)),
      obsChanged: [...this.obsChanged],
      obsSeen: this.obsSeen,
      constant: this.constantDims(),
    };
  }

  /** Rebuild from {@link toJSON} output; `numEnvs` may differ (e.g. 1 for evaluation). */
  static fromJSON(json: VecNormalizerJSON, numEnvs = json.numEnvs): VecNormalizer {
    if (!json || !Array.isArray(json.obsMean) || json.obsMean.length !== json.obsDim) {
      throw new ModelError("normaliser JSON is malformed (obsMean/obsDim)", {
        parameter: "normalizer",
      });
    }
    const n = new VecNormalizer(json.obsDim, numEnvs, {
      normObs: json.normObs,
      normReward: json.normReward,
      clipObs: json.clipObs,
      clipReward: json.clipReward,
      gamma: json.gamma,
      epsilon: json.epsilon,
      constantShare: json.constantShare,
    });
    n.obsRms.mean.set(json.obsMean);
    n.obsRms.var.set(json.obsVar);
    n.obsRms.count = json.obsCount;
    n.retRms.mean[0] = json.retMean;
    n.retRms.var[0] = json.retVar;
    n.retRms.count = json.retCount;
    if (Array.isArray(json.obsRef) && Array.isArray(json.obsChanged)) {
      n.obsRef.set(json.obsRef.map((x) => (x === null ? NaN : x)));
      n.obsChanged.set(json.obsChanged);
      n.obsSeen = json.obsSeen ?? 0;
    }
    return n;
  }
}
