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
  Loss,
  LossGradients,
  LossInputs,
  LossStats,
  Minibatch,
  NamedTensor,
  NetworkConfig,
  StepConfig,
  UpdateStats,
} from "./engines/engine.ts";
export type { ActOptions, ActResult, Policy } from "./policy.ts";
export { DEFAULT_FAST_PRECISION, FastEngine } from "./engines/fast/fast_engine.ts";
export { TfjsEngine } from "./engines/tfjs/tfjs_engine.ts";
export type { TfjsEngineOptions } from "./engines/tfjs/tfjs_engine.ts";
export type { FastEngineOptions, FastPrecision } from "./engines/fast/fast_engine.ts";
export { WASM_KERNELS, wasmKernelsUnavailable } from "./engines/fast/wasm_kernels.ts";
export { selectBackend, tfjsVersion } from "./engines/tfjs/backend.ts";
export type {
  BackendName,
  BackendSelection,
  SelectBackendOptions,
} from "./engines/tfjs/backend.ts";
export { decodeFloat64, encodeFloat64, loadModel, saveModel } from "./engines/model_io.ts";
export type { LoadedModel, ModelToSave, PolicyFile, SaveModelOptions } from "./engines/model_io.ts";
export { buildEngine } from "./build_engine.ts";
export { NormalizedPolicy } from "./normalized_policy.ts";
export { VecNormalizer } from "./normalizer.ts";
export type { VecNormalizerJSON, VecNormalizerOptions } from "./normalizer.ts";
export type { Callback, TrainContext, UpdateLog } from "./callbacks.ts";
export { linearSchedule, networkConfigFor } from "./common.ts";
export type { NetworkConfigOptions, Schedule, TrainResult } from "./common.ts";
export { PpoLoss, trainPpo } from "./ppo.ts";
export type { PpoLossConfig, PpoOptions } from "./ppo.ts";
export { A2cLoss, trainA2c } from "./a2c.ts";
export type { A2cLossConfig, A2cOptions } from "./a2c.ts";
export { GrpoLoss, trainGrpo } from "./grpo.ts";
export type { GrpoLossConfig, GrpoOptions, LogProbSource } from "./grpo.ts";
export { measureTrainingThroughput } from "./throughput.ts";
export type { ThroughputResult } from "./throughput.ts";
export { A2C_DEFAULTS, GRPO_DEFAULTS, PPO_DEFAULTS } from "./defaults.ts";
export { SmoothedPolicy, smoothPolicy } from "./smoothing.ts";
export type { SmoothingOptions } from "./smoothing.ts";
