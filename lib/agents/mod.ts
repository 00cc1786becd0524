/**
 * Agents: actor-critic engines, weight initialisation, rollout buffer + GAE, observation
 * normalisation, PPO / A2C / GRPO, callbacks.
 *
 * @module
 */
export * from "./engines/engine.ts";
export * from "./policy.ts";
export * from "./engines/init.ts";
export * from "./engines/fast/fast_engine.ts";
export * from "./buffer.ts";
export * from "./engines/tfjs/backend.ts";
export * from "./engines/tfjs/tfjs_engine.ts";
export * from "./tensorboard.ts";
export * from "./engines/model_io.ts";
export * from "./run.ts";
export * from "./train_callbacks.ts";
export * from "./trading_setup.ts";
export * from "./train_run.ts";
export * from "./normalizer.ts";
export * from "./callbacks.ts";
export * from "./common.ts";
export * from "./ppo.ts";
export * from "./a2c.ts";
export * from "./grpo.ts";
export * from "./throughput.ts";
export * from "./smoothing.ts";
export * from "./presets.ts";
