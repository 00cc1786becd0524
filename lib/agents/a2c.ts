/**
 * Advantage Actor-Critic (A2C; Mnih et al. 2016, synchronous), as Stable-Baselines3 runs it:
 *
 *  1. vectorised envs, `nSteps` (5) steps per env per update;
 *  2. n-step / GAE(λ = 1 by default, i.e. plain n-step returns) advantages, bootstrapping from
 *     V(final observation) on truncation;
 *  3. ONE gradient step on the whole rollout (no epochs, no minibatches, no ratio clipping):
 *     loss = −mean(log π(a|s)·A) + vfCoef·mean((V − R)²) − entCoef·entropy;
 *  4. advantages NOT normalised (SB3's default `normalize_advantage=False`);
 *  5. global gradient-norm clip 0.5;
 *  6. RMSprop(α 0.99, eps 1e-5) with PyTorch semantics (eps outside the square root), the
 *     optimiser SB3's A2C builds by default — configure the engine with
 *     `networkConfigFor("a2c", …)`;
 *  7. constant learning rate 7e-4 (SB3 default; `annealLr` optional).
 *
 * @module
 */
import { A2C_DEFAULTS } from "./defaults.ts";
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
import { explainedVariance, normalizeInPlace, RolloutBuffer } from "./buffer.ts";
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
} from "./common.ts";

/** A2C hyperparameters. Defaults are the specification's (SB3 `A2C(...)` in the spec). */
export interface A2cOptions {
  /** Environment steps to train for (all envs together). */
  totalTimesteps: number;
  /** Seed of env resets and action sampling. Default 0. */
  seed?: number;
  /** Learning rate or schedule of progress remaining (1 → 0). Default 7e-4. */
  learningRate?: number | Schedule;
  /** Linearly anneal a constant `learningRate` to 0. Default false (SB3). */
  annealLr?: boolean;
  /** Steps per env per update. Default 5. */
  nSteps?: number;
  /** Discount γ. Default 0.99. */
  gamma?: number;
  /** GAE λ. Default 1.0 (n-step returns). */
  gaeLambda?: number;
  /** Entropy coefficient. Default 0.01. */
  entCoef?: number;
  /** Value-loss coefficient. Default 0.5. */
  vfCoef?: number;
  /** Global gradient-norm clip. Default 0.5. */
  maxGradNorm?: number;
  /** Normalise advantages over the rollout. Default false (SB3). */
  normalizeAdvantage?: boolean;
  /** Observation/reward normaliser, or null. Default null. */
  normalizer?: VecNormalizer | null;
  /** Use the env's action masks (Discrete). Default: when the sub-envs implement `actionMask`. */
  useMasks?: boolean;
  /** Call `onUpdate` and record a log every this many updates. Default 100 (SB3's log_interval). */
  logInterval?: number;
  /** Training callbacks. */
  callbacks?: Callback[];
}

/** The coefficients of A2C's loss. */
export interface A2cLossConfig {
  /** Entropy bonus coefficient. */
  entCoef: number;
  /** Value-loss coefficient. */
  vfCoef: number;
}

/**
 * A2C's loss (3), as SB3's `A2C.train`: −mean(log π(a|s)·A) + vfCoef·mean((V − R)²) −
 * entCoef·mean(H), with its derivative per sample. No ratio, so approx-KL and clip fraction
 * are reported as 0.
 */
export class A2cLoss implements Loss {
  readonly usesCritic = true;
  /** @param config the loss coefficients. */
  constructor(readonly config: A2cLossConfig) {}

  /** Loss statistics of `mb`; writes dLoss/d(logProb, entropy, value) per sample. */
  evaluate(mb: Minibatch, inputs: LossInputs, grads: LossGradients): LossStats {
    const { entCoef, vfCoef } = this.config;
    const size = inputs.size;
    const invB = 1 / size;
    const value = inputs.value!;
    let policyLoss = 0;
    let valueLoss = 0;
    let entropySum = 0;
    for (let i = 0; i < size; i++) {
      // policy gradient: −log π(a|s)·A
      policyLoss -= inputs.logProb[i] * mb.advantages[i];
      grads.logProb[i] = -mb.advantages[i] * invB;
      // entropy bonus
      entropySum += inputs.entropy[i];
      grads.entropy[i] = -entCoef * invB;
      // value regression to the n-step returns (no ½ factor, as SB3)
      const diff = value[i] - mb.returns[i];
      valueLoss += diff * diff;
      grads.value[i] = vfCoef * 2 * invB * diff;
    }
    policyLoss *= invB;
    valueLoss *= invB;
    const entropy = entropySum * invB;
    return {
      loss: policyLoss - entCoef * entropy + vfCoef * valueLoss,
      policyLoss,
      valueLoss,
      entropy,
      approxKl: 0,
      clipFraction: 0,
      refKl: 0,
    };
  }
}

/** Train `engine` with A2C on `env`. */
export async function trainA2c(
  env: VecEnv,
  engine: ActorCriticEngine,
  options: A2cOptions,
): Promise<TrainResult> {
  const seed = options.seed ?? 0;
  const nSteps = options.nSteps ?? A2C_DEFAULTS.nSteps;
  const gamma = options.gamma ?? A2C_DEFAULTS.gamma;
  const gaeLambda = options.gaeLambda ?? A2C_DEFAULTS.gaeLambda;
  const lrOption = options.learningRate ?? A2C_DEFAULTS.learningRate;
  const annealLr = options.annealLr ?? A2C_DEFAULTS.annealLr;
  const entCoef = options.entCoef ?? A2C_DEFAULTS.entCoef;
  const vfCoef = options.vfCoef ?? A2C_DEFAULTS.vfCoef;
  const maxGradNorm = options.maxGradNorm ?? A2C_DEFAULTS.maxGradNorm;
  const normalizeAdvantage = options.normalizeAdvantage ?? A2C_DEFAULTS.normalizeAdvantage;
  const normalizer = options.normalizer ?? null;
  const logInterval = options.logInterval ?? 100;
  const callbacks = options.callbacks ?? [];
  requirePositiveInt(options.totalTimesteps, "totalTimesteps");
  requirePositiveInt(nSteps, "nSteps");
  requirePositiveInt(logInterval, "logInterval");
  requireRange(gamma, 0, 1, "gamma");
  requireRange(gaeLambda, 0, 1, "gaeLambda");
  if (!engine.config.critic) {
    throw new ConfigError("A2C needs a value network (critic: true)", { parameter: "critic" });
  }

  const N = env.numEnvs;
  const rolloutSize = nSteps * N;
  const numUpdates = Math.ceil(options.totalTimesteps / rolloutSize);
  const master = new Rng(seed);
  engine.seed(master.nextUint32());

  const collector = new RolloutCollector(env, engine, { normalizer, useMasks: options.useMasks });
  const { actDim, maskSize, episodes } = collector;
  const buffer = new RolloutBuffer(nSteps, N, { obsDim: env.obsDim, actDim, maskSize });
  // The whole rollout is the one "minibatch": views of the buffer, no copy.
  const mb: Minibatch = {
    size: rolloutSize,
    obs: buffer.obs,
    actions: buffer.actions,
    oldLogProb: buffer.logProbs,
    advantages: buffer.advantages,
    returns: buffer.returns,
    oldValues: buffer.values,
    masks: buffer.masks ?? undefined,
  };
  const logs: UpdateLog[] = [];
  const ctx: TrainContext = {
    algorithm: "a2c",
    engine,
    normalizer,
    timesteps: 0,
    updates: 0,
    totalTimesteps: options.totalTimesteps,
  };
  const t0 = performance.now();
  let rolloutSecondsTotal = 0;
  let trainSecondsWindow = 0;
  let rolloutSecondsWindow = 0;
  let stoppedEarly = false;
  collector.reset(seed);
  await runCallbacks(callbacks, (cb) => cb.onTrainingStart?.(ctx));

  for (let update = 1; update <= numUpdates; update++) {
    const progressRemaining = 1 - (update - 1) / numUpdates;
    const lr0 = scheduleValue(lrOption, progressRemaining);
    const learningRate = typeof lrOption === "number" && annealLr ? lr0 * progressRemaining : lr0;

    // ---- rollout of nSteps × numEnvs, n-step/GAE advantages with truncation bootstrap -------
    const tRollout = performance.now();
    ctx.timesteps += collector.collect(buffer, gamma, gaeLambda);
    const rolloutSeconds = (performance.now() - tRollout) / 1000;
    rolloutSecondsTotal += rolloutSeconds;
    rolloutSecondsWindow += rolloutSeconds;
    if (callbacks.length && !(await runCallbacks(callbacks, (cb) => cb.onRolloutEnd?.(ctx)))) {
      stoppedEarly = true;
      break;
    }

    // ---- one gradient step on the whole rollout ---------------------------------------------
    const tTrain = performance.now();
    if (normalizeAdvantage) normalizeInPlace(buffer.advantages, { n: rolloutSize });
    const loss = new A2cLoss({ entCoef, vfCoef });
    const step: StepConfig = { learningRate, maxGradNorm };
    const st = engine.update(mb, loss, step); // A2cLoss, then grad-norm clip and RMSprop
    trainSecondsWindow += (performance.now() - tTrain) / 1000;
    ctx.updates = update;

    if (update % logInterval === 0 || update === numUpdates) {
      const elapsed = (performance.now() - t0) / 1000;
      const log: UpdateLog = {
        update,
        timesteps: ctx.timesteps,
        fps: ctx.timesteps / elapsed,
        timeElapsed: elapsed,
        rolloutSeconds: rolloutSecondsWindow,
        trainSeconds: trainSecondsWindow,
        learningRate,
        clipRange: null,
        loss: st.loss,
        policyLoss: st.policyLoss,
        valueLoss: st.valueLoss,
        entropy: st.entropy,
        approxKl: null,
        clipFraction: null,
        explainedVariance: nullIfNaN(explainedVariance(buffer.values, buffer.returns)),
        gradNorm: st.gradNorm,
        refKl: null,
        zeroStdGroupFraction: null,
        epochs: 1,
        episodeReturnMean: episodes.meanReturn(),
        episodeLengthMean: episodes.meanLength(),
        episodesFinished: episodes.takeFinishedCount(),
      };
      rolloutSecondsWindow = 0;
      trainSecondsWindow = 0;
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
