/**
 * Environments: spaces, the Gymnasium-style interface, the futures trading env, reward
 * terms, the synchronous vectorised env and the env checker.
 *
 * @module
 */
export * from "./spaces.ts";
export * from "./types.ts";
export * from "./vec_env.ts";
export * from "./reward.ts";
export * from "./futures_env.ts";
export * from "./check_env.ts";
export * from "./classic_control.ts";
export * from "./guarded_env.ts";
export * from "./options_reward.ts";
export * from "./options_env.ts";
export * from "./policy.ts";
export * from "./signals.ts";
export * from "./guarded_options_env.ts";
export * from "./guard.ts";
export * from "./observation.ts";
