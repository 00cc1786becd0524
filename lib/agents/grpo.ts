/**
 * Group Relative Policy Optimization (GRPO; Shao et al. 2024, DeepSeekMath), for control tasks:
 *
 *  1. no critic: the baseline is the GROUP — each update samples `groupsPerUpdate` start states
 *     (`env.reset` with a seed drawn from the run's PRNG), snapshots each with
 *     `env.cloneState()`, and runs `groupSize` (G = 16) rollouts of at most `horizon` (H) steps
 *     from that identical state (`env.restoreState()`: same bar, same account, same env PRNG —
 *     only the policy's sampled actions differ);
 *  2. advantages, `"outcome"` variant: Aᵢ = (Rᵢ − mean R) / (std R + ε) with Rᵢ the
 *     undiscounted return of rollout i, given to every step of rollout i; `"process"` variant:
 *     every step reward is normalised by the mean/std of all step rewards in the group, and a
 *     step's advantage is the sum of normalised rewards to go. std is the sample (n − 1) std
 *     as `torch.std`; ε = 1e-8. Groups whose returns all tie have no signal (A = 0): their
 *     fraction is logged as `zeroStdGroupFraction`;
 *  3. PPO-style clipped ratio (ε = 0.2) against the collection-time policy, averaged over all
 *     collected steps (with a fixed horizon this equals DeepSeekMath's per-rollout average);
 *  4. KL penalty β·(ρ − log ρ − 1), ρ = π_ref/π (the unbiased "k3" estimator), to a reference
 *     policy that FOLLOWS training, as iterative GRPO (DeepSeekMath §4.1.3) resets its
 *     reference to the current policy: the reference is a copy of the policy refreshed at the
 *     start of every `refUpdateInterval`-th update (K; default 1 = the policy at the start of
 *     each iteration, i.e. the policy that collected the rollouts). Why: in control from scratch
 *     there is no trusted model to anchor to — the initial policy is random, and a frozen
 *     random reference pulls the learned policy back toward random with a force that grows as
 *     it learns (with β large enough it cannot learn at all; `tests/agents_grpo_test.ts` shows
 *     it). With K = 1 the penalty is a smooth trust region around the collection policy
 *     that, unlike the clipped ratio (zero gradient outside the clip range), keeps pulling
 *     back during the `nEpochs` passes; a larger K anchors to an older policy for more
 *     stability. `refUpdateInterval: 0` keeps the frozen initial policy (the old behaviour,
 *     for ablations); an explicit {@link LogProbSource} `reference` (another engine, a rule
 *     policy giving log-probabilities) is used as given and never refreshed; β = 0.04
 *     (DeepSeekMath's value);
 *  5. `nEpochs` passes of shuffled minibatches, Adam (eps 1e-5), global grad-norm clip 0.5.
 *
 * Observation normalisation (`normalizer`, SB3 VecNormalize semantics as PPO's): every
 * observation the policy sees during the rollouts is normalised with the running statistics,
 * which are updated with each new observation (a group's shared start observation once per
 * group); the normalised observations are stored and trained on, and the normaliser is handed
 * to the callbacks (`ctx.normalizer`) so checkpoints, the best model and evaluation use it.
 * Works for Discrete (with optional masks) and Box actions (Box: the env gets the clipped action,
 * the raw sample is stored).
 *
 * @module
 */
import { GRPO_DEFAULTS } from "./defaults.ts";
import { Rng } from "../util/mod.ts";
import { ConfigError, ModelError } from "../util/mod.ts";
import type { Env } from "../env/mod.ts";
import type {
  ActorCriticEngine,
  Loss,
  LossGradients,
  LossInputs,
  LossStats,
  Minibatch,
  StepConfig,
} from "./engines/engine.ts";
import { createMinibatch } from "./buffer.ts";
import type { VecNormalizer } from "./normalizer.ts";
import { type Callback, runCallbacks, type TrainContext, type UpdateLog } from "./callbacks.ts";
import {
  clipActions,
  requirePositiveInt,
  requireRange,
  type Schedule,
  scheduleValue,
  type TrainResult,
  UpdateStatsMean,
} from "./common.ts";

/** Anything that can score actions: log π(a|s) for a batch (an engine, or a rule policy). */
export interface LogProbSource {
  evaluateActions(
    obs: Float64Array,
    actions: Float64Array,
    batch: number,
    masks?: Uint8Array,
  ): { logProb: Float64Array };
}

/** The coefficients of GRPO's minibatch loss (one update's values, after schedules). */
export interface GrpoLossConfig {
  /** Ratio clip ε. */
  clipRange: number;
  /** Entropy bonus coefficient. */
  entCoef: number;
  /** KL penalty β to the reference policy. */
  klCoef: number;
}

/**
 * GRPO's minibatch loss (3–4), with its derivative per sample; no critic:
 * −mean(min(r·A, clip(r, 1 ± ε)·A)) + β·mean(ρ − log ρ − 1) − entCoef·mean(H), with
 * r = π/π_old and ρ = π_ref/π (the k3 KL estimator). Logged: approx-KL = mean((r − 1) − log r),
 * clip fraction, and the KL estimate to the reference (`refKl`).
 */
export class GrpoLoss implements Loss {
  readonly usesCritic = false;
  /** @param config this update's coefficients. */
  constructor(readonly config: GrpoLossConfig) {}

  /** Loss statistics of `mb`; writes dLoss/d(logProb, entropy) per sample. */
  evaluate(mb: Minibatch, inputs: LossInputs, grads: LossGradients): LossStats {
    const { clipRange, entCoef, klCoef } = this.config;
    const refLogProb = mb.refLogProb;
    if (!refLogProb) {
      throw new ModelError("GRPO minibatch has no refLogProb", { parameter: "refLogProb" });
    }
    const size = inputs.size;
    const invB = 1 / size;
    let policyLoss = 0;
    let entropySum = 0;
    let approxKl = 0;
    let clipCount = 0;
    let refKl = 0;
    for (let i = 0; i < size; i++) {
      // ---- clipped ratio against the collection-time policy (as PPO) ------------------------
      const logProb = inputs.logProb[i];
      const logRatio = logProb - mb.oldLogProb[i];
      const ratio = Math.exp(logRatio);
      const clipped = ratio < 1 - clipRange
        ? 1 - clipRange
        : ratio > 1 + clipRange
        ? 1 + clipRange
        : ratio;
      const surr1 = ratio * mb.advantages[i];
      const surr2 = clipped * mb.advantages[i];
      policyLoss -= surr1 < surr2 ? surr1 : surr2;
      // gradient only through the unclipped term when it is the min
      let dLogProb = surr1 <= surr2 ? -surr1 * invB : 0;
      approxKl += ratio - 1 - logRatio;
      if (Math.abs(ratio - 1) > clipRange) clipCount++;

      // ---- KL penalty to the reference: k3 = ρ − log ρ − 1, dk3/d log π = 1 − ρ ---------------
      const rho = Math.exp(refLogProb[i] - logProb); // π_ref / π
      refKl += rho - Math.log(rho) - 1;
      dLogProb += klCoef * (1 - rho) * invB;
      grads.logProb[i] = dLogProb;

      // ---- entropy bonus ------------------------------------------------------------------------
      entropySum += inputs.entropy[i];
      grads.entropy[i] = -entCoef * invB;
    }
    policyLoss *= invB;
    refKl *= invB;
    const entropy = entropySum * invB;
    return {
      loss: policyLoss - entCoef * entropy + klCoef * refKl,
      policyLoss,
      valueLoss: 0,
      entropy,
      approxKl: approxKl * invB,
      clipFraction: clipCount * invB,
      refKl,
    };
  }
}

/** GRPO hyperparameters (the specification gives none; defaults follow DeepSeekMath/PPO). */
export interface GrpoOptions {
  /** Environment steps to train for (all group rollouts together). */
  totalTimesteps: number;
  /** Seed of start-state sampling, action sampling and shuffles. Default 0. */
  seed?: number;
  /** Rollouts per group, G. Default 16. */
  groupSize?: number;
  /** Maximum steps per rollout, H (a rollout also stops when the env ends). Default 64. */
  horizon?: number;
  /** Start states (groups) per update. Default 4. */
  groupsPerUpdate?: number;
  /**
   * Advantage: `"outcome"` (group-normalised returns, default), `"process"` (group-normalised
   * step rewards summed to go), or `"raw"` (the rollout's return itself, NO baseline — an
   * ablation that shows what the group baseline buys).
   */
  advantage?: "outcome" | "process" | "raw";
  /** ε in the advantage denominator. Default 1e-8. */
  advantageEps?: number;
  /** Optimisation epochs per update. Default 4. */
  nEpochs?: number;
  /** Minibatch size (steps). Default 256. */
  batchSize?: number;
  /** Learning rate or schedule of progress remaining. Default 3e-4. */
  learningRate?: number | Schedule;
  /** Linearly anneal a constant learning rate to 0. Default false. */
  annealLr?: boolean;
  /** Ratio clip ε. Default 0.2. */
  clipRange?: number;
  /** KL penalty β. Default 0.04. */
  klCoef?: number;
  /** Entropy coefficient. Default 0. */
  entCoef?: number;
  /** Global gradient-norm clip. Default 0.5. */
  maxGradNorm?: number;
  /**
   * Fixed reference policy for the KL term (never refreshed). Default: a copy of `engine`
   * refreshed every `refUpdateInterval` updates.
   */
  reference?: LogProbSource;
  /**
   * K: refresh the own reference to the current policy at the start of every K-th update
   * (1 = every update: the policy that collected the rollouts; 0 = never: the frozen initial
   * policy). Default 1. Ignored with an explicit `reference`.
   */
  refUpdateInterval?: number;
  /** Running observation normaliser (updated during rollouts), or null. Default null. */
  normalizer?: VecNormalizer | null;
  /** Env-specific reset options for start states (e.g. a split's bar range). */
  resetOptions?: Record<string, unknown>;
  /** Use the env's action masks (Discrete). Default: when the env implements `actionMask`. */
  useMasks?: boolean;
  /** Log every this many updates. Default 1. */
  logInterval?: number;
  /** Training callbacks. */
  callbacks?: Callback[];
}

/** Train `engine` (no critic needed) with GRPO on `env`, which must support clone/restore. */
export async function trainGrpo(
  env: Env,
  engine: ActorCriticEngine,
  options: GrpoOptions,
): Promise<TrainResult> {
  const seed = options.seed ?? 0;
  const G = options.groupSize ?? GRPO_DEFAULTS.groupSize;
  const H = options.horizon ?? GRPO_DEFAULTS.horizon;
  const groups = options.groupsPerUpdate ?? GRPO_DEFAULTS.groupsPerUpdate;
  const variant = options.advantage ?? GRPO_DEFAULTS.advantage;
  const advEps = options.advantageEps ?? 1e-8;
  const nEpochs = options.nEpochs ?? GRPO_DEFAULTS.nEpochs;
  const batchSize = options.batchSize ?? GRPO_DEFAULTS.batchSize;
  const lrOption = options.learningRate ?? GRPO_DEFAULTS.learningRate;
  const annealLr = options.annealLr ?? GRPO_DEFAULTS.annealLr;
  const clipRange = options.clipRange ?? GRPO_DEFAULTS.clipRange;
  const klCoef = options.klCoef ?? GRPO_DEFAULTS.klCoef;
  const entCoef = options.entCoef ?? GRPO_DEFAULTS.entCoef;
  const maxGradNorm = options.maxGradNorm ?? GRPO_DEFAULTS.maxGradNorm;
  const logInterval = options.logInterval ?? 1;
  const callbacks = options.callbacks ?? [];
  const refEvery = options.refUpdateInterval ?? GRPO_DEFAULTS.refUpdateInterval;
  const normalizer = options.normalizer ?? null;
  requirePositiveInt(options.totalTimesteps, "totalTimesteps");
  if (!Number.isInteger(refEvery) || refEvery < 0) {
    throw new ConfigError(`refUpdateInterval must be an integer ≥ 0, got ${refEvery}`, {
      parameter: "refUpdateInterval",
    }, "1 = the policy at the start of each update, K = every K updates, 0 = frozen initial");
  }
  requirePositiveInt(G, "groupSize");
  if (G < 2) {
    throw new ConfigError("groupSize must be ≥ 2 (a group baseline needs peers)", {
      parameter: "groupSize",
    });
  }
  requirePositiveInt(H, "horizon");
  requirePositiveInt(groups, "groupsPerUpdate");
  requirePositiveInt(nEpochs, "nEpochs");
  requirePositiveInt(batchSize, "batchSize");
  requireRange(clipRange, 0, 10, "clipRange");
  if (typeof env.cloneState !== "function" || typeof env.restoreState !== "function") {
    throw new ConfigError(
      "GRPO needs an env with cloneState()/restoreState() to run groups from one state",
      { parameter: "env" },
      "implement cloneState/restoreState on the env (the futures and classic-control envs do)",
    );
  }
  if (variant !== "outcome" && variant !== "process" && variant !== "raw") {
    throw new ConfigError(`advantage must be "outcome", "process" or "raw", got ${variant}`, {
      parameter: "advantage",
    });
  }

  const obsDim = env.observationSpace.size;
  const space = env.actionSpace;
  const actDim = space.kind === "box" ? space.size : 1;
  const maskSize = space.kind === "discrete" &&
      (options.useMasks ?? typeof env.actionMask === "function")
    ? space.n
    : 0;
  const capacity = groups * G * H;

  const master = new Rng(seed);
  engine.seed(master.nextUint32());
  const startRng = master.fork(); // start-state seeds
  const shuffleRng = master.fork();
  // the reference policy: a copy of the policy refreshed every `refEvery` updates (0: the
  // frozen initial weights), unless a fixed one is given
  const ownReference = options.reference === undefined ? engine.clone() : null;
  const reference: LogProbSource = options.reference ?? ownReference!;

  // ---- storage for one update (allocated once) ----------------------------------------------
  const obs = new Float64Array(capacity * obsDim);
  const actions = new Float64Array(capacity * actDim);
  const logProbs = new Float64Array(capacity);
  const rewards = new Float64Array(capacity);
  const advantages = new Float64Array(capacity);
  const masks = maskSize > 0 ? new Uint8Array(capacity * maskSize) : undefined;
  const rolloutStart = new Int32Array(G + 1); // step index where member m starts (per group)
  const groupReturns = new Float64Array(G);
  const obs0 = new Float64Array(obsDim);
  const curObs = new Float64Array(obsDim);
  if (normalizer && normalizer.obsDim !== obsDim) {
    throw new ConfigError(
      `normalizer has obsDim ${normalizer.obsDim}, the env ${obsDim}`,
      { parameter: "normalizer" },
    );
  }
  const envAction = new Float64Array(actDim);
  const mb = createMinibatch(Math.min(batchSize, capacity), obsDim, {
    actDim,
    maskSize,
    refLogProb: true,
  });
  const indices = new Uint32Array(capacity);
  const logs: UpdateLog[] = [];
  const ctx: TrainContext = {
    algorithm: "grpo",
    engine,
    normalizer,
    timesteps: 0,
    updates: 0,
    totalTimesteps: options.totalTimesteps,
  };
  const t0 = performance.now();
  let rolloutSecondsTotal = 0;
  let stoppedEarly = false;
  const allReturns: number[] = [];
  await runCallbacks(callbacks, (cb) => cb.onTrainingStart?.(ctx));

  // Updates continue until the step budget is spent (rollouts that end early use fewer steps).
  for (let update = 1; ctx.timesteps < options.totalTimesteps; update++) {
    const progressRemaining = 1 - ctx.timesteps / options.totalTimesteps;
    const lr0 = scheduleValue(lrOption, progressRemaining);
    const learningRate = typeof lrOption === "number" && annealLr ? lr0 * progressRemaining : lr0;
    if (ownReference && refEvery > 0 && (update - 1) % refEvery === 0) {
      ownReference.setWeights(engine.getWeights()); // the reference follows training
    }

    // ---- rollouts: groups × G members from identical start states --------------------------
    const tRollout = performance.now();
    let n = 0; // steps stored
    let zeroStdGroups = 0;
    for (let g = 0; g < groups; g++) {
      // sample a start state and snapshot it
      const first = env.reset({ seed: startRng.nextUint32(), options: options.resetOptions });
      obs0.set(first.observation);
      normalizer?.normalizeObs(obs0, 1, obs0, true);
      const state = env.cloneState();
      const groupFirst = n;
      for (let m = 0; m < G; m++) {
        if (m > 0) env.restoreState(state); // identical state: bar, account, env PRNG
        curObs.set(obs0);
        rolloutStart[m] = n;
        let ret = 0;
        for (let t = 0; t < H; t++) {
          obs.set(curObs, n * obsDim);
          let rowMask: Uint8Array | undefined;
          if (masks) {
            rowMask = masks.subarray(n * maskSize, (n + 1) * maskSize);
            env.actionMask!(rowMask);
          }
          const out = engine.act(curObs, { masks: rowMask });
          for (let k = 0; k < actDim; k++) actions[n * actDim + k] = out.actions[k];
          logProbs[n] = out.logProb[0];
          clipActions(space, out.actions, { out: envAction });
          const r = space.kind === "box" ? env.step(envAction) : env.step(envAction[0]);
          rewards[n] = r.reward;
          ret += r.reward;
          n++;
          if (r.terminated || r.truncated) break;
          curObs.set(r.observation);
          normalizer?.normalizeObs(curObs, 1, curObs, true);
        }
        groupReturns[m] = ret;
        allReturns.push(ret);
      }
      rolloutStart[G] = n;
      // ---- group-relative advantages --------------------------------------------------------
      if (variant === "raw") {
        for (let m = 0; m < G; m++) {
          advantages.fill(groupReturns[m], rolloutStart[m], rolloutStart[m + 1]);
        }
      } else if (variant === "outcome") {
        const { mean, std } = meanStd(groupReturns, 0, G);
        if (!(std > 1e-12)) zeroStdGroups++;
        for (let m = 0; m < G; m++) {
          const a = std > 1e-12 ? (groupReturns[m] - mean) / (std + advEps) : 0;
          advantages.fill(a, rolloutStart[m], rolloutStart[m + 1]);
        }
      } else {
        const { mean, std } = meanStd(rewards, groupFirst, n);
        if (!(std > 1e-12)) zeroStdGroups++;
        for (let m = 0; m < G; m++) {
          let toGo = 0;
          for (let j = rolloutStart[m + 1] - 1; j >= rolloutStart[m]; j--) {
            toGo += std > 1e-12 ? (rewards[j] - mean) / (std + advEps) : 0;
            advantages[j] = toGo;
          }
        }
      }
    }
    ctx.timesteps += n;
    // reference log-probs of the collected actions (π_ref is fixed during the update)
    const refLogProb = reference.evaluateActions(
      obs.subarray(0, n * obsDim),
      actions.subarray(0, n * actDim),
      n,
      masks?.subarray(0, n * maskSize),
    ).logProb;
    const rolloutSeconds = (performance.now() - tRollout) / 1000;
    rolloutSecondsTotal += rolloutSeconds;
    if (!(await runCallbacks(callbacks, (cb) => cb.onRolloutEnd?.(ctx)))) {
      stoppedEarly = true;
      break;
    }

    // ---- optimisation: clipped ratio + β·KL to the reference, shuffled minibatches ----------
    const tTrain = performance.now();
    const loss = new GrpoLoss({ clipRange, entCoef, klCoef });
    const step: StepConfig = { learningRate, maxGradNorm };
    const stats = new UpdateStatsMean();
    for (let i = 0; i < n; i++) indices[i] = i;
    const idx = indices.subarray(0, n);
    for (let epoch = 0; epoch < nEpochs; epoch++) {
      shuffleRng.shuffle(idx);
      for (let start = 0; start < n; start += batchSize) {
        const size = Math.min(batchSize, n - start);
        for (let r = 0; r < size; r++) {
          const j = idx[start + r];
          for (let k = 0; k < obsDim; k++) mb.obs[r * obsDim + k] = obs[j * obsDim + k];
          for (let k = 0; k < actDim; k++) mb.actions[r * actDim + k] = actions[j * actDim + k];
          mb.oldLogProb[r] = logProbs[j];
          mb.advantages[r] = advantages[j];
          mb.refLogProb![r] = refLogProb[j];
          if (masks) {
            for (let k = 0; k < maskSize; k++) {
              mb.masks![r * maskSize + k] = masks[j * maskSize + k];
            }
          }
        }
        mb.size = size;
        stats.add(engine.update(mb, loss, step)); // GrpoLoss, grad-norm clip, Adam
      }
    }
    const trainSeconds = (performance.now() - tTrain) / 1000;
    ctx.updates = update;

    if (update % logInterval === 0 || ctx.timesteps >= options.totalTimesteps) {
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
        valueLoss: null,
        entropy: m.entropy,
        approxKl: m.approxKl,
        clipFraction: m.clipFraction,
        explainedVariance: null,
        gradNorm: m.gradNorm,
        refKl: m.refKl,
        zeroStdGroupFraction: zeroStdGroups / groups,
        epochs: nEpochs,
        episodeReturnMean: tailMean(allReturns, 100),
        episodeLengthMean: n / (groups * G),
        episodesFinished: groups * G,
      };
      logs.push(log);
      if (!(await runCallbacks(callbacks, (cb) => cb.onUpdate?.(ctx, log)))) {
        stoppedEarly = true;
        break;
      }
    }
  }
  ownReference?.dispose();
  await runCallbacks(callbacks, (cb) => cb.onTrainingEnd?.(ctx));
  return {
    logs,
    timesteps: ctx.timesteps,
    updates: ctx.updates,
    episodeReturns: allReturns,
    stoppedEarly,
    seconds: (performance.now() - t0) / 1000,
    rolloutSeconds: rolloutSecondsTotal,
  };
}

/** Mean and sample (n − 1) standard deviation of `x[from .. to)`. */
function meanStd(x: Float64Array, from: number, to: number): { mean: number; std: number } {
  const n = to - from;
  let mean = 0;
  for (let i = from; i < to; i++) mean += x[i];
  mean /= n;
  let v = 0;
  for (let i = from; i < to; i++) v += (x[i] - mean) ** 2;
  return { mean, std: n > 1 ? Math.sqrt(v / (n - 1)) : 0 };
}

function tailMean(a: number[], window: number): number | null {
  if (a.length === 0) return null;
  let s = 0;
  const from = Math.max(0, a.length - window);
  for (let i = from; i < a.length; i++) s += a[i];
  return s / (a.length - from);
}
