/**
 * One complete training run on the futures env, as `deno task train` and notebooks 04–06 do
 * it: build the data → features → signals → split → env pipeline, create the engine, train
 * PPO / A2C / GRPO with evaluation on the validation split, checkpoints, best model,
 * metrics.jsonl + TensorBoard logs, save the final model and the manifest, and evaluate the
 * final and best models against the always-flat and random policies on validation.
 *
 * @module
 */
import { ConfigError } from "../util/errors.ts";
import { SyncVecEnv } from "../env/vec_env.ts";
import { AlwaysFlatPolicy, RandomPolicy } from "../backtest/policies.ts";
import type { ActorCriticEngine, EngineKind } from "./engines/engine.ts";
import { type BackendName, selectBackend } from "./engines/tfjs/backend.ts";
import { networkConfigFor, type TrainResult } from "./common.ts";
import { VecNormalizer } from "./normalizer.ts";
import { trainPpo } from "./ppo.ts";
import { trainA2c } from "./a2c.ts";
import { type GrpoOptions, trainGrpo } from "./grpo.ts";
import type { Callback } from "./callbacks.ts";
import {
  buildEngine,
  gitCommit,
  loadRun,
  makeRunId,
  modelFolder,
  readModelFolder,
  RunDir,
  runtimeVersions,
} from "./run.ts";
import {
  CheckpointCallback,
  EvalCallback,
  type EvalMetric,
  evaluatePolicy,
  type EvaluationResult,
  MetricsLogger,
  ProgressBar,
} from "./train_callbacks.ts";
import { buildTradingSetup, type TradingSetup, type TradingSetupOptions } from "./trading_setup.ts";

/** Algorithm hyperparameters accepted by {@link trainRun} (defaults: the specification's). */
export interface Hyperparameters {
  /** Learning rate (PPO/GRPO 3e-4, A2C 7e-4). */
  learningRate?: number;
  /** Linearly anneal the learning rate to 0 (default false, as the specification's SB3). */
  annealLr?: boolean;
  /** Steps per env per rollout (PPO 2048, A2C 5). */
  nSteps?: number;
  /** Minibatch size (PPO 64, GRPO 256). */
  batchSize?: number;
  /** Epochs per update (PPO 10, GRPO 4). */
  nEpochs?: number;
  /** Discount per step (0.99). */
  gamma?: number;
  /** GAE λ (PPO 0.95, A2C 1.0). */
  gaeLambda?: number;
  /** Ratio clip ε (0.2). */
  clipRange?: number;
  /** PPO value clip ε_v, or null (default) for none. */
  clipRangeVf?: number | null;
  /** Entropy coefficient (PPO/A2C 0.01, GRPO 0). */
  entCoef?: number;
  /** Value-loss coefficient (0.5). */
  vfCoef?: number;
  /** Global gradient-norm clip (0.5). */
  maxGradNorm?: number;
  /** PPO target KL for early epoch stop, or null (default). */
  targetKl?: number | null;
  /** Normalise advantages (PPO per minibatch, default true; A2C default false). */
  normalizeAdvantage?: boolean;
}

/** Options of {@link trainRun}. */
export interface TrainRunOptions {
  /** Algorithm. */
  agent: "ppo" | "a2c" | "grpo";
  /** Environment steps to train (global; on resume, the total including the checkpoint's). */
  timesteps: number;
  /** Seed of weights, sampling, shuffles and env starts. */
  seed?: number;
  /** Run folder (default `models/<agent>-<date>-<time>-s<seed>`). */
  out?: string;
  /** Engine (default fast). */
  engine?: EngineKind;
  /** tfjs backend (default auto). */
  backend?: BackendName | "auto";
  /** Parallel training envs (default 1, as the specification). */
  nEnvs?: number;
  /** Evaluate on validation every this many steps (default 10,000). 0 = only at the end. */
  evalFreq?: number;
  /** Evaluation episodes (default 1: the whole validation split). */
  evalEpisodes?: number;
  /** Checkpoint every this many steps (default 50,000). 0 = off. */
  checkpointFreq?: number;
  /** Keep only the newest N checkpoints (default all). */
  keepCheckpoints?: number;
  /** Early stopping: evaluations without improvement (default 0 = off). */
  patience?: number;
  /** Best-model metric (default sharpe). */
  metric?: EvalMetric;
  /** Hidden widths of both nets (default [64, 64]). */
  hidden?: number[];
  /** Running observation normalisation (default false: the specification's SB3 setup). */
  normObs?: boolean;
  /** Return-based reward scaling (default false). */
  normReward?: boolean;
  /** Algorithm hyperparameters. */
  hyper?: Hyperparameters;
  /** GRPO options (group size, horizon, KL coefficient, …), passed to `trainGrpo`. */
  grpo?: Partial<Omit<GrpoOptions, "totalTimesteps" | "callbacks">>;
  /** Data pipeline options, or an already built setup (notebooks reuse one). */
  setup?: TradingSetupOptions | TradingSetup;
  /** Progress bar on stderr (default true). */
  progress?: boolean;
  /**
   * Resume from this run folder's latest checkpoint (continues in the same folder): weights,
   * optimiser state, normaliser and best-model record are restored and a linearly annealed
   * learning rate continues where it stopped; env episodes and action sampling are reseeded
   * with `seed + steps`, so a resumed run is reproducible but not bit-identical to an
   * uninterrupted one.
   */
  resume?: string;
  /** Name of the preset these options come from (recorded in manifest.json), if any. */
  preset?: string;
  /** Configuration recorded in config.json (default: these options). */
  config?: Record<string, unknown>;
  /** Messages (default: stderr). */
  log?: (msg: string) => void;
}

/** Result of {@link trainRun}. */
export interface TrainRunResult {
  /** Run folder written. */
  runDir: string;
  /** The trained model (final weights). */
  engine: ActorCriticEngine;
  /** The training normaliser, or null. */
  normalizer: VecNormalizer | null;
  /** The data/env pipeline used. */
  setup: TradingSetup;
  /** Per-update logs and timings. */
  train: TrainResult;
  /** Every validation evaluation during training. */
  evaluations: (EvaluationResult & { timesteps: number; metricValue: number })[];
  /** Validation results of the final model, the best model and two baselines. */
  validation: {
    final: EvaluationResult;
    best: EvaluationResult | null;
    flat: EvaluationResult;
    random: EvaluationResult;
  };
  /** tfjs backend active during the run. */
  backend: string;
  /** Whether early stopping ended training. */
  stoppedEarly: boolean;
}

function isSetup(s: TradingSetupOptions | TradingSetup | undefined): s is TradingSetup {
  return !!s && typeof (s as TradingSetup).makeTrainEnv === "function";
}

/** Train, evaluate and save one run. See the module docs. */
export async function trainRun(options: TrainRunOptions): Promise<TrainRunResult> {
  const log = options.log ?? ((m: string) => console.error(m));
  const agent = options.agent;
  if (!["ppo", "a2c", "grpo"].includes(agent)) {
    throw new ConfigError(
      `unknown agent "${agent}"`,
      { parameter: "agent" },
      "use ppo, a2c or grpo",
    );
  }
  const seed = options.seed ?? 0;
  const engineKind = options.engine ?? "fast";
  if (engineKind !== "fast" && engineKind !== "tfjs") {
    throw new ConfigError(
      `unknown engine "${engineKind}"`,
      { parameter: "engine" },
      "use fast or tfjs",
    );
  }
  const nEnvs = options.nEnvs ?? 1;
  if (agent === "grpo" && (options.normObs || options.normReward || nEnvs !== 1)) {
    throw new ConfigError(
      "GRPO runs groups on one env without a normaliser",
      { parameter: options.normObs || options.normReward ? "norm-obs/norm-reward" : "n-envs" },
      "drop --norm-obs/--norm-reward/--n-envs for --agent grpo",
    );
  }
  if (!Number.isInteger(nEnvs) || nEnvs < 1) {
    throw new ConfigError(`n-envs must be a positive integer, got ${nEnvs}`, {
      parameter: "n-envs",
    });
  }
  const { backend } = await selectBackend(options.backend ?? "auto");
  log(`backend: tfjs ${backend}; engine: ${engineKind}`);
  const setup = isSetup(options.setup)
    ? options.setup
    : await buildTradingSetup({ log, ...options.setup });

  // ---- engine, normaliser (fresh or from the latest checkpoint) ------------------------------
  const probeEnv = setup.makeTrainEnv(seed);
  const net = networkConfigFor(agent, {
    obsDim: probeEnv.observationSpace.size,
    actionSpace: probeEnv.actionSpace,
  }, { hidden: options.hidden ?? [64, 64] });
  let engine: ActorCriticEngine;
  let normalizer: VecNormalizer | null = null;
  let stepOffset = 0;
  let resumedFrom: string | null = null;
  let best: { metric: string; value: number; timesteps: number } | null = null;
  const runDirPath = options.resume ?? options.out ?? `models/${makeRunId(agent, seed)}`;
  if (options.resume) {
    const folder = modelFolder(options.resume, "latest");
    const snap = await readModelFolder(folder);
    engine = buildEngine(engineKind, snap.network, { weights: snap.weights, seed, name: agent });
    if (snap.optimizer) engine.setOptimizerState(snap.optimizer);
    normalizer = snap.normalizer ? VecNormalizer.fromJSON(snap.normalizer, nEnvs) : null;
    stepOffset = snap.state?.timesteps ?? 0;
    best = snap.state?.best ?? null;
    resumedFrom = folder;
    log(`resume: ${folder} at ${stepOffset} steps`);
    if (stepOffset >= options.timesteps) {
      throw new ConfigError(
        `the checkpoint already has ${stepOffset} ≥ ${options.timesteps} steps`,
        { parameter: "timesteps" },
        "raise --timesteps to continue training",
      );
    }
  } else {
    engine = buildEngine(engineKind, net, { seed, name: agent });
    if (options.normObs || options.normReward) {
      normalizer = new VecNormalizer(net.obsDim, nEnvs, {
        normObs: options.normObs ?? false,
        normReward: options.normReward ?? false,
        gamma: options.hyper?.gamma ?? 0.99,
      });
    }
  }
  const remaining = options.timesteps - stepOffset;

  // ---- run folder -------------------------------------------------------------------------------
  const run = await RunDir.create(runDirPath, {
    config: options.config ?? JSON.parse(JSON.stringify({
      ...options,
      log: undefined,
      // a prebuilt setup is recorded by what identifies it (the arrays are not config)
      setup: isSetup(options.setup)
        ? {
          data: setup.source,
          bars: setup.market.time.length,
          interval: setup.market.interval,
          signals: setup.signals ? "ml" : "none",
          episodeLength: setup.episodeLength,
          dataSha256: setup.dataHash,
        }
        : options.setup,
    })),
    resume: !!options.resume,
    keepCheckpoints: options.keepCheckpoints,
    manifest: {
      algorithm: agent,
      engine: engineKind,
      backend,
      seed,
      data: {
        source: setup.source,
        sha256: setup.dataHash,
        bars: setup.market.time.length,
        interval: setup.market.interval,
      },
      gitCommit: await gitCommit(),
      versions: runtimeVersions(),
      totalTimesteps: options.timesteps,
      resumedFrom,
    },
  });
  log(`run: ${run.dir}`);

  const evalEnv = setup.makeEvalEnv("validation");
  const evalCb = new EvalCallback({
    env: evalEnv,
    evalFreq: options.evalFreq === 0 ? Infinity : (options.evalFreq ?? 10_000),
    episodes: options.evalEpisodes ?? 1,
    periodsPerYear: setup.periodsPerYear,
    metric: options.metric ?? "sharpe",
    run,
    patience: options.patience ?? 0,
    stepOffset,
    best,
  });
  const callbacks: Callback[] = [new MetricsLogger(run, { stepOffset }), evalCb];
  const ckptFreq = options.checkpointFreq ?? 50_000;
  if (ckptFreq > 0) {
    callbacks.push(
      new CheckpointCallback({
        run,
        freq: ckptFreq,
        stepOffset,
        best: () => evalCb.best,
        extra: () => ({ noImprovement: evalCb.noImprovement }),
      }),
    );
  }
  if (options.progress ?? true) {
    callbacks.push(
      new ProgressBar({
        stepOffset,
        total: options.timesteps,
        lastEval: () =>
          evalCb.last ? { metric: evalCb.metric, value: evalCb.last.metricValue } : null,
      }),
    );
  }

  // ---- train ----------------------------------------------------------------------------------
  const envs = Array.from({ length: nEnvs }, (_, i) => setup.makeTrainEnv(seed + i));
  const vec = new SyncVecEnv(envs);
  const h = options.hyper ?? {};
  // On resume, continue a linearly annealed learning rate where it stopped.
  const lrFor = (lr0: number, anneal: boolean) =>
    anneal && stepOffset > 0
      ? { learningRate: (p: number) => lr0 * p * remaining / options.timesteps, annealLr: false }
      : { learningRate: lr0, annealLr: anneal };
  const t0 = performance.now();
  let train: TrainResult;
  try {
    if (agent === "ppo") {
      train = await trainPpo(vec, engine, {
        totalTimesteps: remaining,
        seed: seed + stepOffset,
        ...lrFor(h.learningRate ?? 3e-4, h.annealLr ?? false),
        nSteps: h.nSteps,
        batchSize: h.batchSize,
        nEpochs: h.nEpochs,
        gamma: h.gamma,
        gaeLambda: h.gaeLambda,
        clipRange: h.clipRange,
        clipRangeVf: h.clipRangeVf,
        entCoef: h.entCoef,
        vfCoef: h.vfCoef,
        maxGradNorm: h.maxGradNorm,
        targetKl: h.targetKl,
        normalizeAdvantage: h.normalizeAdvantage,
        normalizer,
        callbacks,
      });
    } else if (agent === "a2c") {
      train = await trainA2c(vec, engine, {
        totalTimesteps: remaining,
        seed: seed + stepOffset,
        ...lrFor(h.learningRate ?? 7e-4, h.annealLr ?? false),
        nSteps: h.nSteps,
        gamma: h.gamma,
        gaeLambda: h.gaeLambda,
        entCoef: h.entCoef,
        vfCoef: h.vfCoef,
        maxGradNorm: h.maxGradNorm,
        normalizeAdvantage: h.normalizeAdvantage,
        normalizer,
        callbacks,
      });
    } else {
      // GRPO runs its groups on one env with clone/restore (no vectorisation, no critic).
      train = await trainGrpo(envs[0], engine, {
        totalTimesteps: remaining,
        seed: seed + stepOffset,
        ...lrFor(h.learningRate ?? 3e-4, h.annealLr ?? false),
        clipRange: h.clipRange,
        entCoef: h.entCoef,
        maxGradNorm: h.maxGradNorm,
        nEpochs: h.nEpochs,
        batchSize: h.batchSize,
        callbacks,
        ...options.grpo,
      });
    }
  } catch (e) {
    await run.writeManifest({ status: "failed", extra: { error: (e as Error).message } });
    run.close();
    throw e;
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  const timesteps = stepOffset + train.timesteps;

  // ---- save the final model ---------------------------------------------------------------------
  const state = {
    timesteps,
    updates: train.updates,
    algorithm: agent,
    engine: engineKind,
    best: evalCb.best,
    extra: { noImprovement: evalCb.noImprovement },
  };
  await run.saveFinal({ engine, normalizer, state });
  if (ckptFreq > 0) await run.saveCheckpoint({ engine, normalizer, state });

  // ---- validation: final vs best vs baselines -------------------------------------------------------
  const evalOpts = { episodes: options.evalEpisodes ?? 1, periodsPerYear: setup.periodsPerYear };
  const finalRun = await loadRun(run.dir, { which: "final", engine: engineKind });
  const final = evaluatePolicy(evalEnv, finalRun.policy, evalOpts);
  let bestRes: EvaluationResult | null = null;
  try {
    const b = await loadRun(run.dir, { which: "best", engine: engineKind });
    bestRes = evaluatePolicy(evalEnv, b.policy, evalOpts);
    b.engine.dispose();
  } catch { /* no best model (evaluation never ran) */ }
  finalRun.engine.dispose();
  const nActions = probeEnv.actionSpace.kind === "discrete" ? probeEnv.actionSpace.n : 1;
  const obsDim = probeEnv.observationSpace.size;
  const flat = evaluatePolicy(evalEnv, new AlwaysFlatPolicy(), evalOpts);
  const random = evaluatePolicy(evalEnv, new RandomPolicy({ seed, nActions, obsDim }), {
    ...evalOpts,
    deterministic: false,
  });
  const summary = (r: EvaluationResult | null) =>
    r && {
      meanReturn: r.meanReturn,
      sharpe: r.sharpe,
      finalEquity: r.finalEquity,
      totalReturn: r.totalReturn ?? null,
      trades: r.trades ?? null,
      length: r.lengths[0],
    };
  await run.writeManifest({
    status: train.stoppedEarly ? "stopped_early" : "completed",
    timesteps,
    best: evalCb.best,
    timings: {
      trainSeconds,
      rolloutSeconds: train.rolloutSeconds,
      evalSeconds: evalCb.seconds,
      stepsPerSecond: train.timesteps / trainSeconds,
    },
    extra: {
      validation: {
        final: summary(final),
        best: summary(bestRes),
        alwaysFlat: summary(flat),
        random: summary(random),
      },
      network: engine.config,
      split: setup.split,
      preset: options.preset ?? null,
      reward: setup.reward ?? null,
    },
  });
  run.close();
  return {
    runDir: run.dir,
    engine,
    normalizer,
    setup,
    train,
    evaluations: evalCb.history,
    validation: { final, best: bestRes, flat, random },
    backend,
    stoppedEarly: train.stoppedEarly,
  };
}
