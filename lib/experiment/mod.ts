/**
 * Experiment: everything that turns a configuration into training runs: the typed run
 * configuration and presets, the data → features → signals → env setup per split, training
 * runs in phases, run folders (config, manifest, checkpoints, best model), TensorBoard and
 * JSONL logs, and the evaluation / checkpoint callbacks.
 *
 * @module
 */
export {
  AGENT_NAMES,
  BEST_METRICS,
  buildEnvSetup,
  buildRunSetup,
  ENV_NAMES,
  isOptionsSetup,
  mergeRewardOverrides,
  mergeRunOverrides,
  parseSplitSpec,
  parseUtcDate,
  resolveRunConfig,
  rolloutSize,
  RUN_CONFIG_RANGES,
  runDefaults,
  setupForConfig,
  setupOptionsFor,
  SYNTHETIC_PPO_PRESET,
  TRADING_PRESETS,
  tradingPreset,
  validateRunConfig,
  withReward,
} from "./config.ts";
export type {
  AgentName,
  AlgorithmConfig,
  BestMetric,
  DataConfig,
  EnvName,
  EvaluationConfig,
  GrpoConfig,
  GuardSetting,
  NumericFieldDomain,
  ResolveRunConfigOptions,
  RunConfig,
  RunConfigOverrides,
  RunSetup,
  RunTradingConfig,
  TradingPreset,
  WithRewardOptions,
} from "./config.ts";
export {
  buildTradingSetup,
  DEFAULT_SPLIT,
  foldSetup,
  guardSetup,
  resolveSplitRanges,
  WALK_FORWARD_MIN_TRAIN_SHARE,
  withEnvConfig,
} from "./setup.ts";
export type {
  EnvConfigOptions,
  FoldConfig,
  GuardedSetup,
  SetupEnv,
  SetupInfo,
  SplitConfig,
  SplitRangeOptions,
  TradingSetup,
  TradingSetupOptions,
} from "./setup.ts";
export {
  dataFlagOverrides,
  isTrainDataFlag,
  joinDataFlagValues,
  TRAIN_DATA_FLAGS,
  trainDataFlagPath,
  trainDataHelp,
} from "./data_flags.ts";
export type { DataFlagOverrides, TrainDataFlag } from "./data_flags.ts";
export { buildOptionsSetup, optionsEnvDefaults, resolveOptionsEnvConfig } from "./options_setup.ts";
export type {
  OptionsEnvConfig,
  OptionsEnvOverrides,
  OptionsSetup,
  OptionsSetupOptions,
} from "./options_setup.ts";
export { readRunConfig, trainFresh, TrainingInterruptedError, trainRun } from "./train.ts";
export type {
  TrainFreshOptions,
  TrainFreshResult,
  TrainRunOptions,
  TrainRunResult,
} from "./train.ts";
export { gitCommit, listCheckpoints, loadRun, modelFolder, readMetrics } from "./run_dir.ts";
export type {
  BestRecord,
  CheckpointState,
  LoadedRun,
  LoadedSnapshot,
  LoadRunOptions,
  ModelSnapshot,
  RunDirOptions,
  RunManifest,
  RunModelChoice,
} from "./run_dir.ts";
export * from "./sweep/mod.ts";
export {
  evaluateRun,
  evaluateRuns,
  EVALUATION_CURVE_POINTS,
  EVALUATION_NAMES,
  referenceRuns,
  sweepRunRefs,
} from "./evaluate_run.ts";
export type {
  EvaluateRunOptions,
  EvaluationJson,
  EvaluationJsonRow,
  EvaluationSetup,
  EvaluationSplit,
  ReferenceContext,
  ReferenceRuns,
  RunEvaluation,
  RunRef,
  SweepRunRefOptions,
} from "./evaluate_run.ts";
