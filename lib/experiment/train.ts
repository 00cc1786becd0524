/**
 * One complete training run on the futures env, as `deno task train` and notebooks 04–06 do
 * it: build the data → features → signals → split → env pipeline, create the engine, train
 * PPO / A2C / GRPO with evaluation on the validation split, checkpoints, best model,
 * metrics.jsonl + TensorBoard logs, save the final model and the manifest, and evaluate the
 * final and best models against the always-flat and random policies on validation.
 *
 * @module
 */
import { ConfigError, ToolkitError } from "../util/mod.ts";
import { OBSERVATION_NAMES, SyncVecEnv } from "../env/mod.ts";
import { RUIN_RULE } from "../metrics/mod.ts";
import {
  AlwaysFlatPolicy,
  ConstantOptionsPolicy,
  evaluatePolicy,
  type EvaluationResult,
  RandomOptionsPolicy,
  RandomPolicy,
} from "../backtest/mod.ts";
import {
  type ActorCriticEngine,
  buildEngine,
  type Callback,
  FastEngine,
  networkConfigFor,
  selectBackend,
  trainA2c,
  trainGrpo,
  trainPpo,
  type TrainResult,
  VecNormalizer,
} from "../agents/mod.ts";
import {
  gitCommit,
  type LoadedRun,
  loadRun,
  makeRunId,
  modelFolder,
  readModelFolder,
  RunDir,
  type RunModelChoice,
  runtimeVersions,
} from "./run_dir.ts";
import { CheckpointCallback, EvalCallback, MetricsLogger, ProgressBar } from "./callbacks.ts";
import { guardSetup, type TradingSetup } from "./setup.ts";
import {
  buildEnvSetup,
  isOptionsSetup,
  mergeRunOverrides,
  resolveRunConfig,
  rolloutSize,
  type RunConfig,
  type RunConfigOverrides,
  type RunSetup,
} from "./config.ts";

/** Options of {@link trainRun} (everything that is not the run's configuration). */
export interface TrainRunOptions {
  /** Preset to resolve the configuration with (see `resolveRunConfig`). */
  preset?: string | null;
  /**
   * An already built data pipeline (notebooks reuse one). It is used as is: its data, reward
   * and episode length replace the configuration's `data` and `reward` (or, for an options
   * setup, `env` and `optionsEnv`) in config.json.
   */
  setup?: RunSetup;
  /** Run folder (default `models/<agent>-<date>-<time>-s<seed>`). */
  out?: string;
  /**
   * Resume from this run folder's latest checkpoint (continues in the same folder): its
   * config.json supplies every value `config` does not set; weights, optimiser state,
   * normaliser and best-model record are restored and a linearly annealed learning rate
   * continues where it stopped; env episodes and action sampling are reseeded with
   * `seed + steps`, so a resumed run is reproducible but not bit-identical to an
   * uninterrupted one.
   */
  resume?: string;
  /** Progress bar on stderr (default true). */
  progress?: boolean;
  /** Signals cache folder (default `data/cache/signals`); null = always retrain. */
  signalsCache?: string | null;
  /**
   * Stop request (e.g. from SIGINT/SIGTERM): training stops after the current update, the
   * final model and a checkpoint at that step are saved, the manifest is marked `interrupted`
   * and {@link TrainingInterruptedError} is thrown (no validation run). Aborted before
   * training starts: nothing is written.
   */
  signal?: AbortSignal;
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
  /** The data/env pipeline used (futures envs under the run's guardrails, if any). */
  setup: RunSetup;
  /** The resolved configuration the run used (what config.json records). */
  config: RunConfig;
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

/**
 * Training was stopped by {@link TrainRunOptions.signal}. `runDir` is null when it stopped
 * before the run folder was written; otherwise a checkpoint at `timesteps` was saved there and
 * `deno task train --resume <runDir>` continues it.
 */
export class TrainingInterruptedError extends ToolkitError {
  /** The run folder, or null. */
  readonly runDir: string | null;
  /** Global environment steps trained and saved. */
  readonly timesteps: number;
  /** The abort reason (e.g. `"SIGINT"`). */
  readonly reason: string;

  constructor(runDir: string | null, timesteps: number, reason: string, total?: number) {
    super(
      runDir === null
        ? `${reason}: stopped before training started; nothing was written`
        : `${reason}: training stopped at ${timesteps} steps; saved the final model and ` +
          `checkpoints/${timesteps} in ${runDir} (manifest status "interrupted")`,
      {},
      runDir === null
        ? undefined
        : `continue with: deno task train --resume ${runDir}${
          total !== undefined ? ` --timesteps ${total}` : ""
        }`,
    );
    this.runDir = runDir;
    this.timesteps = timesteps;
    this.reason = reason;
  }
}

/** Options of {@link trainFresh}. */
export interface TrainFreshOptions extends Omit<TrainRunOptions, "resume" | "out"> {
  /** Run folder; deleted first if it exists (the caller owns it). */
  out: string;
  /** Model to load back (default `final`). */
  which?: RunModelChoice;
}

/** A trained run loaded back, with the training result. */
export interface TrainFreshResult extends LoadedRun {
  /** What {@link trainRun} returned. */
  result: TrainRunResult;
}

/**
 * Delete `options.out`, train a run there ({@link trainRun}; silent and without a progress bar
 * unless `log` / `progress` are given) and load the chosen model back as a deterministic
 * policy: the notebooks' "train, then evaluate the saved model" in one call.
 */
export async function trainFresh(
  overrides: Readonly<RunConfigOverrides>,
  options: TrainFreshOptions,
): Promise<TrainFreshResult> {
  await Deno.remove(options.out, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  const { which, ...rest } = options;
  const result = await trainRun(overrides, { progress: false, log: () => {}, ...rest });
  const loaded = await loadRun(result.runDir, { which: which ?? "final" });
  return { ...loaded, result };
}

/**
 * What the manifest records about the data beyond source and hash: files, detected layouts,
 * loader warnings, funding interval and units, the split (and fold), coverage of OI and
 * funding per split with the policy's decisions, the excluded feature families and the
 * signals cache key (and whether it was a hit: no signal model trained).
 */
function manifestDataInfo(setup: Pick<TradingSetup, "info" | "split">): Record<string, unknown> {
  const i = setup.info;
  if (!i) return {};
  const f = i.funding;
  return {
    files: i.files,
    layouts: i.layouts,
    warnings: i.warnings,
    funding: f
      ? {
        intervalHours: f.intervalHours,
        settlements: f.settlements,
        scale: f.scale,
        looksLike: f.looksLike,
        medianAbsRate: f.medianAbsRate,
        suggestedScale: f.suggestedScale,
      }
      : null,
    split: { description: i.split, fold: i.fold, ranges: setup.split },
    coverage: {
      maxMissingShare: i.maxMissingShare,
      decisions: i.coverageDecisions,
      oiWindow: i.coverage.oiWindow,
      fundingWindow: i.coverage.fundingWindow,
      splits: i.coverage.splits,
    },
    excludedFeatures: i.excludedFeatures,
    signals: i.signalsCache
      ? {
        cacheKey: i.signalsCache.key,
        cached: i.signalsCache.cached,
        modelTrained: !i.signalsCache.cached,
        file: i.signalsCache.file,
      }
      : null,
  };
}

/** A hyperparameter the agent needs (null only for fields the agent does not use). */
function need<T>(v: T | null, parameter: string): T {
  if (v === null) {
    throw new ConfigError(`algorithm.${parameter} must be set for this agent`, {
      parameter: `algorithm.${parameter}`,
    });
  }
  return v;
}

/** The configuration saved in a run folder's config.json, as overrides (for resuming). */
export async function readRunConfig(runDir: string): Promise<RunConfigOverrides> {
  const path = `${runDir}/config.json`;
  let saved: unknown;
  try {
    saved = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new ConfigError(
      `cannot resume: ${(e as Error).message}`,
      { file: path },
      "resume takes a run folder written by deno task train or trainRun",
    );
  }
  if (!saved || typeof saved !== "object" || !("algorithm" in saved)) {
    throw new ConfigError(
      "config.json is not a RunConfig (written by an older version?)",
      { file: path },
      "start a new run",
    );
  }
  return saved as RunConfigOverrides;
}

/**
 * A resumed run continues the saved network: an agent or layer widths other than the run's
 * cannot load its checkpoint, so they are refused before any work starts.
 */
function refuseResumeConflicts(
  saved: Readonly<RunConfigOverrides>,
  overrides: Readonly<RunConfigOverrides>,
  runDir: string,
): void {
  const conflicts: [string, unknown, unknown][] = [
    ["agent", saved.agent, overrides.agent],
    ["hidden", saved.hidden?.join(","), overrides.hidden?.join(",")],
  ];
  for (const [name, was, given] of conflicts) {
    if (given !== undefined && was !== undefined && given !== was) {
      throw new ConfigError(
        `--${name} ${given} conflicts with --resume: the run was trained with ${name} ${was}`,
        { file: `${runDir}/config.json`, parameter: name },
        `drop --${name} to continue the run, or start a new run without --resume`,
      );
    }
  }
}

/**
 * Train, evaluate and save one run. `overrides` are resolved with `resolveRunConfig` (the
 * specification's defaults < the preset < `overrides`; on resume, the saved config.json fills
 * what `overrides` does not set). See the module docs.
 */
export async function trainRun(
  overrides: Readonly<RunConfigOverrides> = {},
  options: TrainRunOptions = {},
): Promise<TrainRunResult> {
  const log = options.log ?? ((m: string) => console.error(m));
  let resolvedInput: RunConfigOverrides = { ...overrides };
  let presetName = options.preset !== undefined ? options.preset : overrides.preset ?? null;
  if (options.resume) {
    const saved = await readRunConfig(options.resume);
    refuseResumeConflicts(saved, overrides, options.resume);
    resolvedInput = mergeRunOverrides(saved, overrides);
    presetName ??= saved.preset ?? null;
  }
  let config = resolveRunConfig(resolvedInput, { preset: presetName });
  const agent = config.agent;
  const seed = config.seed;
  const engineKind = config.engine;
  const nEnvs = config.nEnvs;
  const ev = config.evaluation;
  const { backend } = await selectBackend(config.backend);
  log(`backend: tfjs ${backend}; engine: ${engineKind}`);
  const built = options.setup ??
    await buildEnvSetup(config, {
      log,
      ...(options.signalsCache !== undefined ? { signalsCache: options.signalsCache } : {}),
    });
  if (isOptionsSetup(built) && (config.risk !== "off" || config.exits !== "off")) {
    throw new ConfigError(
      "risk/exits guards during training are implemented for the futures env only",
      { parameter: "risk" },
      "train the options env without --risk/--exits (its own IV-rank/VIX/spread lockouts are --risk-lockouts); evaluate under guards with deno task evaluate --risk/--exits",
    );
  }
  // the run's guardrails (risk rules, exit ladder) wrap its train AND validation envs
  const setup: RunSetup = isOptionsSetup(built) ? built : guardSetup(built, config);
  const stopReason = () => String(options.signal?.reason ?? "interrupted");
  if (options.signal?.aborted) throw new TrainingInterruptedError(null, 0, stopReason());
  if (options.setup && isOptionsSetup(setup)) {
    config = {
      ...config,
      env: "options",
      data: {
        ...config.data,
        source: setup.source,
        bars: null,
        episodeLength: setup.episodeLength,
      },
      optionsEnv: setup.config,
    };
  } else if (options.setup && !isOptionsSetup(setup)) {
    config = {
      ...config,
      data: {
        ...config.data,
        source: setup.source,
        bars: setup.market.time.length,
        signals: setup.signals ? "ml" : "none",
        episodeLength: setup.episodeLength,
      },
      reward: setup.reward ?? config.reward,
    };
  }

  // ---- engine, normaliser (fresh or from the latest checkpoint) ------------------------------
  const probeEnv = setup.makeTrainEnv(seed);
  const net = networkConfigFor(agent, {
    obsDim: probeEnv.observationSpace.size,
    actionSpace: probeEnv.actionSpace,
  }, { hidden: config.hidden });
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
    if (stepOffset >= config.timesteps) {
      throw new ConfigError(
        `the checkpoint already has ${stepOffset} ≥ ${config.timesteps} steps`,
        { parameter: "timesteps" },
        "raise --timesteps to continue training",
      );
    }
  } else {
    engine = buildEngine(engineKind, net, { seed, name: agent });
    if (config.normObs || config.normReward) {
      normalizer = new VecNormalizer(net.obsDim, nEnvs, {
        normObs: config.normObs,
        normReward: config.normReward,
        // GRPO has no discount (normReward is rejected for it); the gamma is then unused
        gamma: config.algorithm.gamma ?? 0.99,
      });
    }
  }
  const remaining = config.timesteps - stepOffset;
  const rollout = rolloutSize(config);
  if (remaining % rollout !== 0) {
    const planned = Math.ceil(remaining / rollout) * rollout;
    log(
      `note: training runs whole rollouts of ${rollout} steps: ${remaining} steps requested → ` +
        `${agent === "grpo" ? "up to " : ""}${planned} will be trained`,
    );
  }

  // ---- run folder -------------------------------------------------------------------------------
  const run = await RunDir.create(runDirPath, {
    config: JSON.parse(JSON.stringify(config)),
    resume: !!options.resume,
    truncateAt: options.resume ? stepOffset : undefined,
    keepCheckpoints: ev.keepCheckpoints ?? undefined,
    manifest: {
      algorithm: agent,
      engine: engineKind,
      fastPrecision: engine instanceof FastEngine ? engine.precision : null,
      backend,
      seed,
      data: {
        source: setup.source,
        sha256: setup.dataHash,
        bars: setup.market.time.length,
        interval: setup.market.interval,
        symbol: setup.market.symbol,
        ...manifestDataInfo(setup),
      },
      gitCommit: await gitCommit(),
      versions: runtimeVersions(),
      totalTimesteps: config.timesteps,
      resumedFrom,
      guards: { risk: config.risk, exits: config.exits },
    },
  });
  log(`run: ${run.dir}`);

  const evalEnv = setup.makeEvalEnv("validation");
  const evalCb = new EvalCallback({
    env: evalEnv,
    evalFreq: ev.evalFreq === 0 ? Infinity : ev.evalFreq,
    episodes: ev.evalEpisodes,
    periodsPerYear: setup.periodsPerYear,
    metric: ev.metric,
    run,
    patience: ev.patience,
    stepOffset,
    best,
    guard: { minTrades: ev.minTrades, minExposure: ev.minExposure },
    useMasks: config.maskActions,
  });
  const callbacks: Callback[] = [new MetricsLogger(run, { stepOffset }), evalCb];
  const ckptFreq = ev.checkpointFreq;
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
  if (options.signal) {
    const signal = options.signal;
    // last, so the update's metrics, evaluation and checkpoint are written before it stops
    // (a zero timer yields to the event loop, so a signal handler can run between updates of a
    // CPU-bound loop; about 1 ms per update)
    callbacks.push({
      onUpdate: async () => {
        await new Promise((r) => setTimeout(r, 0));
        return !signal.aborted;
      },
    });
  }
  if (options.progress ?? true) {
    callbacks.push(
      new ProgressBar({
        stepOffset,
        total: config.timesteps,
        lastEval: () =>
          evalCb.last ? { metric: evalCb.metric, value: evalCb.last.metricValue } : null,
      }),
    );
  }

  // ---- train ----------------------------------------------------------------------------------
  const envs = Array.from({ length: nEnvs }, (_, i) => setup.makeTrainEnv(seed + i));
  const vec = new SyncVecEnv(envs);
  const h = config.algorithm;
  // On resume, continue a linearly annealed learning rate where it stopped.
  const lrFor = (lr0: number, anneal: boolean) =>
    anneal && stepOffset > 0
      ? { learningRate: (p: number) => lr0 * p * remaining / config.timesteps, annealLr: false }
      : { learningRate: lr0, annealLr: anneal };
  const t0 = performance.now();
  let train: TrainResult;
  try {
    if (agent === "ppo") {
      train = await trainPpo(vec, engine, {
        totalTimesteps: remaining,
        seed: seed + stepOffset,
        ...lrFor(h.learningRate, h.annealLr),
        nSteps: need(h.nSteps, "nSteps"),
        batchSize: need(h.batchSize, "batchSize"),
        nEpochs: need(h.nEpochs, "nEpochs"),
        gamma: need(h.gamma, "gamma"),
        gaeLambda: need(h.gaeLambda, "gaeLambda"),
        clipRange: need(h.clipRange, "clipRange"),
        clipRangeVf: h.clipRangeVf,
        entCoef: h.entCoef,
        vfCoef: need(h.vfCoef, "vfCoef"),
        maxGradNorm: h.maxGradNorm,
        targetKl: h.targetKl,
        normalizeAdvantage: need(h.normalizeAdvantage, "normalizeAdvantage"),
        normalizer,
        callbacks,
        useMasks: config.maskActions,
      });
    } else if (agent === "a2c") {
      train = await trainA2c(vec, engine, {
        totalTimesteps: remaining,
        seed: seed + stepOffset,
        ...lrFor(h.learningRate, h.annealLr),
        nSteps: need(h.nSteps, "nSteps"),
        gamma: need(h.gamma, "gamma"),
        gaeLambda: need(h.gaeLambda, "gaeLambda"),
        entCoef: h.entCoef,
        vfCoef: need(h.vfCoef, "vfCoef"),
        maxGradNorm: h.maxGradNorm,
        normalizeAdvantage: need(h.normalizeAdvantage, "normalizeAdvantage"),
        normalizer,
        callbacks,
        useMasks: config.maskActions,
      });
    } else {
      // GRPO runs its groups on one env with clone/restore (no vectorisation, no critic).
      train = await trainGrpo(envs[0], engine, {
        totalTimesteps: remaining,
        seed: seed + stepOffset,
        ...lrFor(h.learningRate, h.annealLr),
        clipRange: need(h.clipRange, "clipRange"),
        entCoef: h.entCoef,
        maxGradNorm: h.maxGradNorm,
        nEpochs: need(h.nEpochs, "nEpochs"),
        batchSize: need(h.batchSize, "batchSize"),
        normalizer,
        callbacks,
        useMasks: config.maskActions,
        ...config.grpo,
      });
    }
  } catch (e) {
    await run.writeManifest({ status: "failed", extra: { error: (e as Error).message } });
    run.close();
    throw e;
  }
  const trainSeconds = (performance.now() - t0) / 1000;
  const timesteps = stepOffset + train.timesteps;
  // Variance floor: observation dims constant in training are centred, not scaled.
  const constantObs = (normalizer?.constantDims() ?? []).map((k) =>
    net.obsDim === OBSERVATION_NAMES.length ? OBSERVATION_NAMES[k] : `obs[${k}]`
  );
  if (constantObs.length > 0) {
    log(
      `warning: observation normaliser: ${constantObs.join(", ")} constant in training ` +
        "(variance floored to 1: centred, not scaled, so later real values cannot saturate " +
        "the ±clip); the model never saw them vary",
    );
  }

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
  // stopped by the signal (a stop request after the last update lets the run complete)
  const interrupted = (options.signal?.aborted ?? false) && timesteps < config.timesteps;
  if (ckptFreq > 0 || interrupted) await run.saveCheckpoint({ engine, normalizer, state });
  if (interrupted) {
    await run.writeManifest({
      status: "interrupted",
      timesteps,
      best: evalCb.best,
      timings: {
        trainSeconds,
        rolloutSeconds: train.rolloutSeconds,
        evalSeconds: evalCb.seconds,
        stepsPerSecond: train.timesteps / trainSeconds,
      },
      extra: { interrupted: { reason: stopReason(), at: new Date().toISOString() } },
    });
    run.close();
    engine.dispose();
    throw new TrainingInterruptedError(run.dir, timesteps, stopReason(), config.timesteps);
  }

  // ---- validation: final vs best vs baselines -------------------------------------------------------
  const evalOpts = {
    episodes: ev.evalEpisodes,
    periodsPerYear: setup.periodsPerYear,
    useMasks: config.maskActions,
  };
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
  const options_ = isOptionsSetup(setup);
  const flat = evaluatePolicy(
    evalEnv,
    options_ ? new ConstantOptionsPolicy(0) : new AlwaysFlatPolicy(),
    evalOpts,
  );
  const random = evaluatePolicy(
    evalEnv,
    options_ ? new RandomOptionsPolicy({ seed }) : new RandomPolicy({ seed, nActions, obsDim }),
    { ...evalOpts, deterministic: false },
  );
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
      normalizerConstantObs: constantObs,
      preset: config.preset,
      reward: isOptionsSetup(setup) ? setup.config.reward : setup.reward ?? null,
      env: config.env,
      maskActions: config.maskActions,
      masking: config.maskActions
        ? "invalid actions masked in training and evaluation (MaskablePPO-style; --mask-actions off = the specification's plain PPO)"
        : "no action masking: invalid actions reach the env, which executes them as no-ops (the specification's plain PPO)",
      bestSelection: {
        metric: ev.metric,
        minTrades: ev.minTrades,
        minExposure: ev.minExposure,
        qualified: evalCb.best?.qualified ?? null,
        rule:
          "best validation metric among candidates with ≥ minTrades closed trades and ≥ minExposure of bars in a position; while none qualifies, the best non-qualifying candidate is kept with qualified: false",
      },
      ruinRule: RUIN_RULE,
    },
  });
  run.close();
  return {
    runDir: run.dir,
    config,
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
