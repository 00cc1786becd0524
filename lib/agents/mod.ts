/**
 * Agents: actor-critic engines, weight initialisation, rollout buffer + GAE, observation
 * normalisation, PPO / A2C / GRPO, callbacks.
 *
 * @module
 */
export * from "./engine.ts";
export * from "./policy.ts";
export * from "./init.ts";
export * from "./fast_engine.ts";
export * from "./buffer.ts";
export * from "./backend.ts";
export * from "./tfjs_engine.ts";
export * from "./model_io.ts";
export * from "./build_engine.ts";
export * from "./normalized_policy.ts";
export * from "./normalizer.ts";
export * from "./callbacks.ts";
export * from "./common.ts";
export * from "./ppo.ts";
export * from "./a2c.ts";
export * from "./grpo.ts";
export * from "./throughput.ts";
export * from "./smoothing.ts";
export * from "./defaults.ts";
