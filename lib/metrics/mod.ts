/**
 * Performance metrics: return-series statistics with empyrical's definitions, trade-ledger
 * statistics, a one-call performance summary, and the metrics tracker.
 *
 * @module
 */
export * from "./returns.ts";
export * from "./trades.ts";
export * from "./performance.ts";
export * from "./tracker.ts";
export * from "./ruin.ts";
export * from "./reporting.ts";
