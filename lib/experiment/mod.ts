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
  buildRunSetup,
  mergeRewardOverrides,
  mergeRunOverrides,
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
  DataConfig,
  EvaluationConfig,
  GrpoConfig,
  NumericFieldDomain,
  ResolveRunConfigOptions,
  RunConfig,
  RunConfigOverrides,
  TradingPreset,
  WithRewardOptions,
} from "./config.ts";
export { buildTradingSetup, foldSetup, withEnvConfig } from "./setup.ts";
export type { EnvConfigOptions, TradingSetup, TradingSetupOptions } from "./setup.ts";
export { readRunConfig, trainFresh, TrainingInterruptedError, trainRun } from "./train.ts";
export type {
  TrainFreshOptions,
  TrainFreshResult,
  TrainRunOptions,
  TrainRunResult,
} from "./train.ts";
export { gitCommit, listCheckpoints, loadRun, modelFolder, readMetrics } from "./run_dir.ts";
export type {
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
