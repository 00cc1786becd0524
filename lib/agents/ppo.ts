/**
 * Proximal Policy Optimization (Schulman et al. 2017), written top to bottom like CleanRL's
 * `ppo.py`, with each of its core implementation details named where it happens:
 *
 *  1. vectorised envs (a {@link VecEnv}, same-step auto-reset);
 *  2. orthogonal initialisation (the engine, via `init.ts`);
 *  3. Adam with eps 1e-5 (the engine's optimiser config, see `networkConfigFor`);
 *  4. linear learning-rate annealing (`annealLr`, on by default; SB3 — the specification's
 *     Python — keeps the rate constant: pass `annealLr: false` to match it);
 *  5. GAE(λ), bootstrapping from V(final observation) on truncation;
 *  6. shuffled minibatches (the run's seeded PRNG);
 *  7. per-minibatch advantage normalisation;
 *  8. clipped surrogate objective;
 *  9. optional value-function clipping (`clipRangeVf`);
 * 10. entropy bonus;
 * 11. global gradient-norm clipping;
 * plus optional target-KL early stopping, and logged approx-KL, clip fraction and explained
 * variance. The loss (8–10) and its derivatives are {@link PpoLoss}, below; the engine
 * (`ActorCriticEngine.update`) carries them through the networks and applies 11 and 3, so the
 * same code trains the fast and the tfjs engine.
 *
 * Determinism: one seed drives env resets (sub-env i gets seed + i), action sampling and
 * minibatch shuffles; the same seed gives identical training curves.
 *
 * @module
 */
import { PPO_DEFAULTS } from "./defaults.ts";
import { Rng } from "../util/mod.ts";
import { ConfigError } from "../util/mod.ts";
import type { VecEnv } from "../env/mod.ts";
import type {
  ActorCriticEngine,
  Loss,
  LossGradients,
  LossInputs,
  LossStats,
  Minibatch,
  StepConfig,
} from "./engines/engine.ts";
import { createMinibatch, explainedVariance, normalizeInPlace, RolloutBuffer } from "./buffer.ts";
import type { VecNormalizer } from "./normalizer.ts";
import { type Callback, runCallbacks, type TrainContext, type UpdateLog } from "./callbacks.ts";
import {
  nullIfNaN,
  requirePositiveInt,
  requireRange,
  RolloutCollector,
  type Schedule,
  scheduleValue,
  type TrainResult,
  UpdateStatsMean,
} from "./common.ts";

/** PPO hyperparameters. Defaults are the specification's (SB3 `PPO(...)` in the spec). */
export interface PpoOptions {
  /** Environment steps to train for (all envs together). */
  totalTimesteps: number;
  /** Seed of env resets, action sampling and shuffles. Default 0. */
  seed?: number;
  /** Learning rate or schedule of progress remaining (1 → 0). Default 3e-4. */
  learningRate?: number | Schedule;
  /** Linearly anneal a constant `learningRate` to 0 over training (CleanRL). Default false
   * (`PPO_DEFAULTS`: the specification keeps the rate constant, as SB3). */
  annealLr?: boolean;
  /** Steps per env per rollout. Default 2048. */
  nSteps?: number;
  /** Minibatch size (transitions). Default 64. */
  batchSize?: number;
  /** Optimisation epochs per rollout. Default 10. */
  nEpochs?: number;
  /** Discount γ per step. Default 0.99. */
  gamma?: number;
  /** GAE λ. Default 0.95. */
  gaeLambda?: number;
  /** Ratio clip ε (constant or schedule). Default 0.2. */
  clipRange?: number | Schedule;
  /** Value clip ε_v around the collection-time value, or null (default) for none. */
  clipRangeVf?: number | null;
  /** Normalise advantages per minibatch. Default true. */
  normalizeAdvantage?: boolean;
  /** Entropy bonus coefficient. Default 0.01 (specification; SB3's own default is 0). */
  entCoef?: number;
  /** Value-loss coefficient. Default 0.5. */
  vfCoef?: number;
  /** Global gradient-norm clip. Default 0.5. */
  maxGradNorm?: number;
  /** Stop the epochs of an update once approx-KL exceeds this (CleanRL rule). Default null. */
  targetKl?: number | null;
  /** Observation/reward normaliser (VecNormalize), or null. Default null. */
  normalizer?: VecNormalizer | null;
  /** Use the env's action masks (Discrete). Default: when the sub-envs implement `actionMask`. */
  useMasks?: boolean;
  /** Call `onUpdate` and record a log every this many updates. Default 1. */
  logInterval?: number;
  /** Training callbacks (evaluation, checkpoints, early stop). */
  callbacks?: Callback[];
}

/** The coefficients of PPO's minibatch loss (one update's values, after schedules). */
export interface PpoLossConfig {
  /** Ratio clip ε. */
  clipRange: number;
  /** Value clip ε_v around the collection-time value, or null for none. */
  clipRangeVf: number | null;
  /** Entropy bonus coefficient. */
  entCoef: number;
  /** Value-loss coefficient. */
  vfCoef: number;
}

/**
 * PPO's minibatch loss, as CleanRL's `ppo.py` writes it (`pg_loss − ent_coef·entropy +
 * vf_coef·v_loss`), with its derivative per sample for the engine's backward pass:
 *
 * - clipped surrogate (8): −mean(min(r·A, clip(r, 1 ± ε)·A)), r = π(a|s) / π_old(a|s);
 * - value loss (9): mean((V − R)²), or with `clipRangeVf` mean(max((V − R)², (V_clip − R)²)),
 *   V_clip = V_old + clip(V − V_old, ±ε_v). Like SB3, no ½ factor;
 * - entropy bonus (10): −entCoef · mean(H);
 * - logged: approx-KL = mean((r − 1) − log r) (CleanRL's), clip fraction = share of |r − 1| > ε.
 */
export class PpoLoss implements Loss {
  readonly usesCritic = true;
  /** @param config this update's coefficients. */
  constructor(readonly config: PpoLossConfig) {}

  /** Loss statistics of `mb`; writes dLoss/d(logProb, entropy, value) per sample. */
  evaluate(mb: Minibatch, inputs: LossInputs, grads: LossGradients): LossStats {
    const { clipRange, clipRangeVf, entCoef, vfCoef } = this.config;
    const size = inputs.size;
    const invB = 1 / size; // every term is a minibatch mean
    const value = inputs.value!;
    let policyLoss = 0;
    let valueLoss = 0;
    let entropySum = 0;
    let approxKl = 0;
    let clipCount = 0;
    for (let i = 0; i < size; i++) {
      // ---- 8. clipped surrogate objective ----------------------------------------------------
      const logRatio = inputs.logProb[i] - mb.oldLogProb[i];
      const ratio = Math.exp(logRatio);
      const clipped = ratio < 1 - clipRange
        ? 1 - clipRange
        : ratio > 1 + clipRange
        ? 1 + clipRange
        : ratio;
      const surr1 = ratio * mb.advantages[i];
      const surr2 = clipped * mb.advantages[i];
      policyLoss -= surr1 < surr2 ? surr1 : surr2;
      // The gradient flows through the unclipped term when it is the min (or when r is inside
      // the clip range, where both terms coincide); a clipped, out-of-range ratio is constant.
      // d(r·A)/d log π = r·A.
      grads.logProb[i] = surr1 <= surr2 ? -surr1 * invB : 0;
      approxKl += ratio - 1 - logRatio;
      if (Math.abs(ratio - 1) > clipRange) clipCount++;

      // ---- 10. entropy bonus ---------------------------------------------------------------------
      entropySum += inputs.entropy[i];
      grads.entropy[i] = -entCoef * invB;

      // ---- 9. value loss, optionally clipped around the collection-time value --------------------
      const vGrad = vfCoef * 2 * invB;
      const diff = value[i] - mb.returns[i];
      if (clipRangeVf === null) {
        valueLoss += diff * diff;
        grads.value[i] = vGrad * diff;
      } else {
        const dv = value[i] - mb.oldValues[i];
        const inside = dv >= -clipRangeVf && dv <= clipRangeVf;
        const vClipped = mb.oldValues[i] + (inside ? dv : dv < 0 ? -clipRangeVf : clipRangeVf);
        const diffClipped = vClipped - mb.returns[i];
        const lossUnclipped = diff * diff;
        const lossClipped = diffClipped * diffClipped;
        if (lossUnclipped >= lossClipped) {
          valueLoss += lossUnclipped;
          grads.value[i] = vGrad * diff;
        } else {
          valueLoss += lossClipped;
          grads.value[i] = inside ? vGrad * diffClipped : 0; // clipped V is constant outside
        }
      }
    }
    policyLoss *= invB;
    valueLoss *= invB;
    const entropy = entropySum * invB;
    return {
      loss: policyLoss - entCoef * entropy + vfCoef * valueLoss,
      policyLoss,
      valueLoss,
      entropy,
      approxKl: approxKl * invB,
      clipFraction: clipCount * invB,
      refKl: 0,
    };
  }
}

/** Train `engine` with PPO on `env`. Returns the per-update logs. */
export async function trainPpo(
  env: VecEnv,
  engine: ActorCriticEngine,
  options: PpoOptions,
): Promise<TrainResult> {
  // ---- hyperparameters -------------------------------------------------------------------
  const seed = options.seed ?? 0;
  const nSteps = options.nSteps ?? PPO_DEFAULTS.nSteps;
  const batchSize = options.batchSize ?? PPO_DEFAULTS.batchSize;
  const nEpochs = options.nEpochs ?? PPO_DEFAULTS.nEpochs;
  const gamma = options.gamma ?? PPO_DEFAULTS.gamma;
  const gaeLambda = options.gaeLambda ?? PPO_DEFAULTS.gaeLambda;
  const lrOption = options.learningRate ?? PPO_DEFAULTS.learningRate;
  const annealLr = options.annealLr ?? PPO_DEFAULTS.annealLr;
  const clipOption = options.clipRange ?? PPO_DEFAULTS.clipRange;
  const clipRangeVf = options.clipRangeVf ?? PPO_DEFAULTS.clipRangeVf;
  const normalizeAdvantage = options.normalizeAdvantage ?? PPO_DEFAULTS.normalizeAdvantage;
  const entCoef = options.entCoef ?? PPO_DEFAULTS.entCoef;
  const vfCoef = options.vfCoef ?? PPO_DEFAULTS.vfCoef;
  const maxGradNorm = options.maxGradNorm ?? PPO_DEFAULTS.maxGradNorm;
  const targetKl = options.targetKl ?? PPO_DEFAULTS.targetKl;
  const normalizer = options.normalizer ?? null;
  const logInterval = options.logInterval ?? 1;
  const callbacks = options.callbacks ?? [];
  requirePositiveInt(options.totalTimesteps, "totalTimesteps");
  requirePositiveInt(nSteps, "nSteps");
  requirePositiveInt(batchSize, "batchSize");
  requirePositiveInt(nEpochs, "nEpochs");
  requirePositiveInt(logInterval, "logInterval");
  requireRange(gamma, 0, 1, "gamma");
  requireRange(gaeLambda, 0, 1, "gaeLambda");
  if (!engine.config.critic) {
    throw new ConfigError("PPO needs a value network (critic: true)", { parameter: "critic" });
  }

  const N = env.numEnvs;
  const obsDim = env.obsDim;
  const rolloutSize = nSteps * N;
  const numUpdates = Math.ceil(options.totalTimesteps / rolloutSize);

  // ---- seeding: one master PRNG for sampling and shuffles; env i reset with seed + i --------
  const master = new Rng(seed);
  engine.seed(master.nextUint32());
  const shuffleRng = master.fork();

  // ---- storage (allocated once) ------------------------------------------------------------
  const collector = new RolloutCollector(env, engine, { normalizer, useMasks: options.useMasks });
  const { actDim, maskSize, episodes } = collector;
  const buffer = new RolloutBuffer(nSteps, N, { obsDim, actDim, maskSize });
  const mb = createMinibatch(Math.min(batchSize, rolloutSize), obsDim, { actDim, maskSize });
  const indices = new Uint32Array(rolloutSize);
  const logs: UpdateLog[] = [];

  const ctx: TrainContext = {
    algorithm: "ppo",
    engine,
    normalizer,
    timesteps: 0,
    updates: 0,
    totalTimesteps: options.totalTimesteps,
  };
  const t0 = performance.now();
  let rolloutSecondsTotal = 0;
  let stoppedEarly = false;

  collector.reset(seed);
  await runCallbacks(callbacks, (cb) => cb.onTrainingStart?.(ctx));

  for (let update = 1; update <= numUpdates; update++) {
    // ---- learning-rate annealing: progress remaining goes 1 → 1/numUpdates ------------------
    const progressRemaining = 1 - (update - 1) / numUpdates;
    const lr0 = scheduleValue(lrOption, progressRemaining);
    const learningRate = typeof lrOption === "number" && annealLr ? lr0 * progressRemaining : lr0;
    const clipRange = scheduleValue(clipOption, progressRemaining);

    // ---- rollout: nSteps vectorised steps with the current policy, then GAE(λ) -------------
    // (truncated episodes bootstrap from V(final observation); see RolloutCollector)
    const tRollout = performance.now();
    ctx.timesteps += collector.collect(buffer, gamma, gaeLambda);
    const rolloutSeconds = (performance.now() - tRollout) / 1000;
    rolloutSecondsTotal += rolloutSeconds;
    if (!(await runCallbacks(callbacks, (cb) => cb.onRolloutEnd?.(ctx)))) {
      stoppedEarly = true;
      break;
    }

    // ---- optimisation: nEpochs over shuffled minibatches ------------------------------------
    const tTrain = performance.now();
    const loss = new PpoLoss({ clipRange, clipRangeVf, entCoef, vfCoef });
    const step: StepConfig = { learningRate, maxGradNorm };
    const stats = new UpdateStatsMean();
    let epochsRun = 0;
    for (let i = 0; i < rolloutSize; i++) indices[i] = i;
    for (let epoch = 0; epoch < nEpochs; epoch++) {
      shuffleRng.shuffle(indices); // shuffled minibatches
      let lastKl = 0;
      for (let start = 0; start < rolloutSize; start += batchSize) {
        const size = Math.min(batchSize, rolloutSize - start);
        buffer.fillMinibatch(mb, indices, { start, size });
        if (normalizeAdvantage) normalizeInPlace(mb.advantages, { n: size }); // per-minibatch
        const st = engine.update(mb, loss, step); // PpoLoss, then grad-norm clip and Adam
        stats.add(st);
        lastKl = st.approxKl;
      }
      epochsRun++;
      // optional target-KL early stop (CleanRL: checked after each epoch)
      if (targetKl !== null && lastKl > targetKl) break;
    }
    const trainSeconds = (performance.now() - tTrain) / 1000;
    ctx.updates = update;

    // ---- logging ------------------------------------------------------------------------------
    const finished = episodes.takeFinishedCount();
    if (update % logInterval === 0 || update === numUpdates) {
      const elapsed = (performance.now() - t0) / 1000;
      const m = stats.mean();
      const log: UpdateLog = {
        update,
        timesteps: ctx.timesteps,
        fps: ctx.timesteps / elapsed,
        timeElapsed: elapsed,
        rolloutSeconds,
        trainSeconds,
        learningRate,
        clipRange,
        loss: m.loss,
        policyLoss: m.policyLoss,
        valueLoss: m.valueLoss,
        entropy: m.entropy,
        approxKl: m.approxKl,
        clipFraction: m.clipFraction,
        explainedVariance: nullIfNaN(explainedVariance(buffer.values, buffer.returns)),
        gradNorm: m.gradNorm,
        refKl: null,
        zeroStdGroupFraction: null,
        epochs: epochsRun,
        episodeReturnMean: episodes.meanReturn(),
        episodeLengthMean: episodes.meanLength(),
        episodesFinished: finished,
      };
      logs.push(log);
      if (!(await runCallbacks(callbacks, (cb) => cb.onUpdate?.(ctx, log)))) {
        stoppedEarly = true;
        break;
      }
    }
  }
  await runCallbacks(callbacks, (cb) => cb.onTrainingEnd?.(ctx));
  return {
    logs,
    timesteps: ctx.timesteps,
    updates: ctx.updates,
    episodeReturns: episodes.finishedReturns,
    stoppedEarly,
    seconds: (performance.now() - t0) / 1000,
    rolloutSeconds: rolloutSecondsTotal,
  };
}
