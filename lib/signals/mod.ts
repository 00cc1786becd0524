/**
 * Supervised "ML predictions" (the specification's Phase-3 `ml_predictions`): 3-class labels
 * of the forward return, a small tfjs MLP trained walk-forward with purge and embargo,
 * out-of-sample signals, diagnostics against naive baselines, save/load.
 *
 * @module
 */
export * from "./labels.ts";
export * from "./diagnostics.ts";
export * from "./mlp.ts";
export { tf } from "./tfjs.ts";
export * from "./walk_forward.ts";
export * from "./persist.ts";
export * from "./cache.ts";
