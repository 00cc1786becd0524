/**
 * Agents (learning only): PPO / A2C / GRPO, their default hyperparameters, the actor-critic
 * engines (fast Float64 and tfjs) and model I/O, observation normalisation, the callback
 * hooks. Exports the stable public API; internals (rollout buffer, weight initialisation,
 * gradient helpers, …) are imported by path from tests only.
 *
 * @module
 */
export type {
  ActionHead,
  ActorCriticEngine,
  EngineKind,
  LossConfig,
  Minibatch,
  NamedTensor,
  NetworkConfig,
  UpdateStats,
} from "./engine.ts";
export type { ActOptions, ActResult, Policy } from "./policy.ts";
export { FastEngine } from "./fast_engine.ts";
export { TfjsEngine } from "./tfjs_engine.ts";
export type { TfjsEngineOptions } from "./tfjs_engine.ts";
export type { FastEngineOptions } from "./fast_engine.ts";
export { selectBackend, tfjsVersion } from "./backend.ts";
export type { BackendName, BackendSelection, SelectBackendOptions } from "./backend.ts";
export { decodeFloat64, encodeFloat64, loadModel, saveModel } from "./model_io.ts";
export type { LoadedModel, ModelToSave, PolicyFile, SaveModelOptions } from "./model_io.ts";
export { buildEngine } from "./build_engine.ts";
export { NormalizedPolicy } from "./normalized_policy.ts";
export { VecNormalizer } from "./normalizer.ts";
export type { VecNormalizerJSON, VecNormalizerOptions } from "./normalizer.ts";
export type { Callback, TrainContext, UpdateLog } from "./callbacks.ts";
export { linearSchedule, networkConfigFor } from "./common.ts";
export type { NetworkConfigOptions, Schedule, TrainResult } from "./common.ts";
export { trainPpo } from "./ppo.ts";
export type { PpoOptions } from "./ppo.ts";
export { trainA2c } from "./a2c.ts";
export type { A2cOptions } from "./a2c.ts";
export { trainGrpo } from "./grpo.ts";
export type { GrpoOptions, LogProbSource } from "./grpo.ts";
export { measureTrainingThroughput } from "./throughput.ts";
export type { ThroughputResult } from "./throughput.ts";
export { A2C_DEFAULTS, GRPO_DEFAULTS, PPO_DEFAULTS } from "./defaults.ts";
export { SmoothedPolicy } from "./smoothing.ts";
export type { SmoothingOptions } from "./smoothing.ts";
