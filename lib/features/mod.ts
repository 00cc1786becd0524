/**
 * Market features: causal indicators (technicalindicators, aligned to bar indices), OI and
 * funding features, the feature matrix, and normalisation fitted on the training split only.
 *
 * @module
 */
export * from "./feature_matrix.ts";
export * from "./features.ts";
export * from "./families.ts";
export * from "./indicators.ts";
export * from "./feature_normalizer.ts";
